// Aethelgard for OpenClaw: every tool call is judged by the policy daemon (`aethelgard serve`)
// before it runs, in the `before_tool_call` plugin hook.
//
// It fails closed: no daemon, a socket that is not ours, no answer in time, or an answer that is
// not a decision blocks the call, and the model reads why. The daemon records every decision in
// its audit store before it answers. No npm dependencies: Node's `net`, `fs`, `os` and `path`.
//
// Hook contract (OpenClaw 2026.9.6, checked against its dist code): the handler gets
// `event.toolName` and `event.params` (and `ctx.sessionId`, `ctx.agentId`, `ctx.abortSignal`);
// it returns nothing to let the call run, `{ block: true, blockReason }` to refuse it (the
// reason becomes the tool result), or `{ requireApproval: {...} }` to ask the user.

import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const PLUGIN_ID = "aethelgard";
const DEFAULT_TIMEOUT_MS = 5000;
const MAX_ANSWER_BYTES = 1024 * 1024;

function expandHome(p) {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** The daemon's socket, found as the Aethelgard CLI finds it; `null` when `AETHELGARD_SOCKET=off`. */
export function socketPath(config = {}, env = process.env) {
  if (typeof config.socket === "string" && config.socket !== "") return expandHome(config.socket);
  const named = env.AETHELGARD_SOCKET;
  if (named) return named === "off" ? null : named;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, "aethelgard.sock");
  return path.join(os.homedir(), ".local", "state", "aethelgard", "aethelgard.sock");
}

/** Why the socket must not be asked (not a socket, another user's), or `null` when it may. */
export function untrusted(socket) {
  let stat;
  try {
    stat = fs.statSync(socket);
  } catch (error) {
    return `no daemon socket at ${socket} (${error.code ?? error.message}); start one with \`aethelgard serve\``;
  }
  if (!stat.isSocket()) return `${socket} is not a socket`;
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  // Another user could plant a socket that answers `allow`: only ours or root's is asked.
  if (uid !== undefined && stat.uid !== uid && stat.uid !== 0) {
    return `${socket} belongs to uid ${stat.uid}, not to this user (uid ${uid})`;
  }
  return null;
}

/** Sends one JSON line and reads one back, within `timeoutMs`. */
export function ask(socket, request, timeoutMs, signal) {
  return new Promise((resolve, reject) => {
    const connection = net.createConnection(socket);
    let buffered = "";
    let settled = false;
    const onAbort = () => finish(new Error("the tool call was cancelled"));
    const finish = (error, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener?.("abort", onAbort);
      connection.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer from the daemon on ${socket} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener?.("abort", onAbort);
    connection.setEncoding("utf8");
    connection.on("connect", () => connection.write(`${JSON.stringify(request)}\n`));
    connection.on("data", (chunk) => {
      buffered += chunk;
      const end = buffered.indexOf("\n");
      if (end >= 0) {
        try {
          finish(null, JSON.parse(buffered.slice(0, end)));
        } catch (error) {
          finish(new Error(`the daemon's answer is not JSON (${error.message})`));
        }
      } else if (buffered.length > MAX_ANSWER_BYTES) {
        finish(new Error("the daemon's answer is too long"));
      }
    });
    connection.on("error", (error) => finish(error));
    connection.on("close", () => finish(new Error("the daemon closed the connection without answering")));
  });
}

function block(reason) {
  return { block: true, blockReason: reason };
}

/** The hook's result for the daemon's answer to a `route` request. */
export function verdict(answer) {
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) {
    return block("Aethelgard: the daemon's answer is not a decision; failing closed");
  }
  if (typeof answer.error === "string") {
    return block(`Aethelgard: the daemon refused the request (${answer.error}); failing closed`);
  }
  const rule = typeof answer.rule === "string" ? ` [rule ${answer.rule}]` : "";
  const reason = typeof answer.reason === "string" ? answer.reason : "";
  switch (answer.decision) {
    case "allow":
      return undefined;
    case "block":
      return block(`Blocked by Aethelgard policy: ${reason}${rule}`);
    case "escalate":
      // OpenClaw asks the user; an approval nobody answers is a deny.
      return {
        requireApproval: {
          title: "Aethelgard asks for approval",
          description: `${reason}${rule}`,
          severity: "warning",
        },
      };
    default:
      return block("Aethelgard: the daemon's answer is not a decision; failing closed");
  }
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The agent's workspace from OpenClaw's config: relative paths in a call resolve against it. */
function workspaceOf(config, agentId) {
  const agents = isObject(config?.agents) ? config.agents : {};
  const listed = Array.isArray(agents.list) ? agents.list.find((a) => a?.id === agentId) : undefined;
  const workspace = listed?.workspace ?? agents.defaults?.workspace;
  return typeof workspace === "string" && workspace !== "" ? expandHome(workspace) : undefined;
}

/** The tool call in Aethelgard's wire format (`ToolCall`). */
export function toolCall(event, ctx, config) {
  const args = isObject(event?.params) ? event.params : {};
  const cwd =
    (typeof args.workdir === "string" && args.workdir) ||
    workspaceOf(config, ctx?.agentId) ||
    process.cwd();
  const call = { tool: String(event?.toolName ?? ""), args, cwd };
  const session = ctx?.sessionId ?? ctx?.sessionKey;
  if (typeof session === "string" && session !== "") call.session = session;
  return call;
}

/** Judges one call: never throws, and every failure is a block. */
export async function judge(event, ctx, options) {
  try {
    const socket = socketPath(options.pluginConfig, options.env);
    if (socket === null) {
      return block("Aethelgard: AETHELGARD_SOCKET is `off`, so no daemon can judge this call; failing closed");
    }
    const why = untrusted(socket);
    if (why !== null) return block(`Aethelgard: ${why}; failing closed`);
    const request = { op: "route", source: "openclaw-plugin", call: toolCall(event, ctx, options.config) };
    const answer = await ask(socket, request, options.timeoutMs, ctx?.abortSignal);
    return verdict(answer);
  } catch (error) {
    return block(`Aethelgard: cannot ask the policy daemon (${error?.message ?? error}); failing closed`);
  }
}

export default {
  id: PLUGIN_ID,
  name: "Aethelgard",
  description: "Every tool call judged by the Aethelgard policy daemon before it runs; fails closed.",
  register(api) {
    const pluginConfig = isObject(api.pluginConfig) ? api.pluginConfig : {};
    const timeoutMs =
      Number.isFinite(pluginConfig.timeoutMs) && pluginConfig.timeoutMs > 0
        ? pluginConfig.timeoutMs
        : DEFAULT_TIMEOUT_MS;
    const options = { pluginConfig, config: api.config, timeoutMs, env: process.env };
    // Highest priority: a block here is terminal and skips lower-priority handlers.
    api.on("before_tool_call", (event, ctx) => judge(event, ctx, options), { priority: 10000 });
  },
};
