// Round-trip time of the OpenClaw plugin's judgement: the plugin's own `judge` (socket check,
// connect, one `route` line, the daemon's decision and audit commit, the answer) against a running
// `aethelgard serve`. Usage: node integrations/openclaw/bench.mjs SOCKET [ROUNDS]
import { judge } from "./aethelgard/index.js";

const socket = process.argv[2];
const rounds = Number(process.argv[3] ?? 300);
const options = { pluginConfig: { socket }, config: {}, timeoutMs: 5000, env: {} };

async function time(command, n) {
  const micros = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    await judge({ toolName: "exec", params: { command } }, { sessionId: "bench" }, options);
    micros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  micros.sort((a, b) => a - b);
  const at = (q) => micros[Math.min(n - 1, Math.ceil(n * q) - 1)].toFixed(0);
  return `p50 ${at(0.5)} us, p90 ${at(0.9)} us, p99 ${at(0.99)} us`;
}

await time("ls", 20);
for (const command of ["ls src", "rm -r /home/dev/victim"]) {
  const verdict = await judge({ toolName: "exec", params: { command } }, {}, options);
  console.log(`${command} (${verdict?.block ? "block" : "allow"}): ${await time(command, rounds)}`);
}
