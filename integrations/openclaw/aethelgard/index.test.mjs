// Unit tests of the plugin's pure parts, with Node's own runner (no dependencies):
//   node --test integrations/openclaw/aethelgard/index.test.mjs
// The Rust e2e suite runs this file with the Node 24 that OpenClaw uses
// (crates/cli/tests/e2e/openclaw_plugin.rs, `the_plugin_unit_tests_pass_under_node`).

import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";

import plugin, { judge, socketPath, toolCall, untrusted, verdict } from "./index.js";

test("an allow lets the call run, a block carries the reason and the rule", () => {
  assert.equal(verdict({ decision: "allow", reason: "fine" }), undefined);
  assert.deepEqual(verdict({ decision: "block", reason: "deletes outside the workspace", rule: "rm-outside" }), {
    block: true,
    blockReason: "Blocked by Aethelgard policy: deletes outside the workspace [rule rm-outside]",
  });
});

test("an escalation asks the user through OpenClaw's approval", () => {
  const answer = verdict({ decision: "escalate", reason: "sends mail to a new address", rule: "mail.new" });
  assert.equal(answer.block, undefined);
  assert.equal(answer.requireApproval.title, "Aethelgard asks for approval");
  assert.equal(answer.requireApproval.description, "sends mail to a new address [rule mail.new]");
});

test("anything that is not a decision blocks", () => {
  for (const answer of [null, "allow", [], {}, { decision: "maybe" }, { error: "bad request" }, 42]) {
    const result = verdict(answer);
    assert.equal(result?.block, true, `answer ${JSON.stringify(answer)} gave ${JSON.stringify(result)}`);
    assert.match(result.blockReason, /failing closed/);
  }
});

test("the socket is found as the CLI finds it", () => {
  assert.equal(socketPath({}, { AETHELGARD_SOCKET: "off" }), null);
  assert.equal(socketPath({}, { AETHELGARD_SOCKET: "/run/a.sock" }), "/run/a.sock");
  assert.equal(socketPath({}, { XDG_RUNTIME_DIR: "/run/user/7" }), "/run/user/7/aethelgard.sock");
  assert.equal(socketPath({ socket: "/etc/a.sock" }, { AETHELGARD_SOCKET: "/run/a.sock" }), "/etc/a.sock");
  assert.equal(socketPath({}, {}), path.join(os.homedir(), ".local", "state", "aethelgard", "aethelgard.sock"));
});

test("a missing socket and a plain file are not trusted", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aethelgard-plugin-"));
  try {
    assert.match(untrusted(path.join(dir, "none.sock")), /no daemon socket/);
    const file = path.join(dir, "file");
    fs.writeFileSync(file, "");
    assert.match(untrusted(file), /is not a socket/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the call carries the tool, its arguments, the session and a working directory", () => {
  const config = { agents: { list: [{ id: "main", workspace: "/srv/project" }] } };
  const call = toolCall({ toolName: "exec", params: { command: "ls" } }, { agentId: "main", sessionId: "s1" }, config);
  assert.deepEqual(call, { tool: "exec", args: { command: "ls" }, cwd: "/srv/project", session: "s1" });
  const own = toolCall({ toolName: "exec", params: { command: "ls", workdir: "/w" } }, {}, config);
  assert.equal(own.cwd, "/w");
  const odd = toolCall({ toolName: 7, params: "not an object" }, undefined, undefined);
  assert.deepEqual(odd.args, {});
  assert.equal(odd.tool, "7");
});

/** A fake daemon on a socket that answers every line with `reply(request)` (raw text). */
async function withDaemon(reply, body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aethelgard-plugin-"));
  const socket = path.join(dir, "d.sock");
  const requests = [];
  const server = net.createServer((connection) => {
    let buffered = "";
    connection.setEncoding("utf8");
    connection.on("data", (chunk) => {
      buffered += chunk;
      const end = buffered.indexOf("\n");
      if (end < 0) return;
      const request = JSON.parse(buffered.slice(0, end));
      requests.push(request);
      const answer = reply(request);
      if (answer !== null) connection.end(answer);
    });
  });
  await new Promise((resolve) => server.listen(socket, resolve));
  try {
    return await body(socket, requests);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("judge sends one route request and follows the daemon's decision", async () => {
  await withDaemon(
    (request) => `${JSON.stringify({ decision: request.call.args.command === "ls" ? "allow" : "block", reason: "r" })}\n`,
    async (socket, requests) => {
      const options = { pluginConfig: { socket }, config: {}, timeoutMs: 2000, env: {} };
      assert.equal(await judge({ toolName: "exec", params: { command: "ls" } }, {}, options), undefined);
      const refused = await judge({ toolName: "exec", params: { command: "rm -r /" } }, {}, options);
      assert.equal(refused.block, true);
      assert.equal(requests.length, 2);
      assert.equal(requests[0].op, "route");
      assert.equal(requests[0].source, "openclaw-plugin");
    },
  );
});

test("judge fails closed on garbage, silence and a closed connection", async () => {
  const cases = [
    ["garbage", () => "this is not json\n", /not JSON/],
    ["closed", () => "", /closed the connection/],
    ["silence", () => null, /no answer from the daemon/],
  ];
  for (const [name, reply, reason] of cases) {
    await withDaemon(reply, async (socket) => {
      const options = { pluginConfig: { socket }, config: {}, timeoutMs: 300, env: {} };
      const result = await judge({ toolName: "exec", params: { command: "ls" } }, {}, options);
      assert.equal(result?.block, true, name);
      assert.match(result.blockReason, reason, name);
      assert.match(result.blockReason, /failing closed/, name);
    });
  }
});

test("with the socket switched off every call is blocked", async () => {
  const options = { pluginConfig: {}, config: {}, timeoutMs: 300, env: { AETHELGARD_SOCKET: "off" } };
  const result = await judge({ toolName: "read", params: { path: "a" } }, {}, options);
  assert.equal(result.block, true);
});

test("register hooks before_tool_call at the highest priority", () => {
  const registered = [];
  plugin.register({ pluginConfig: {}, config: {}, on: (name, handler, opts) => registered.push({ name, handler, opts }) });
  assert.equal(registered.length, 1);
  assert.equal(registered[0].name, "before_tool_call");
  assert.equal(registered[0].opts.priority, 10000);
});
