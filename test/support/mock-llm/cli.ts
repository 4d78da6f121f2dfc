// `node --import tsx test/support/mock-llm/cli.ts [--port N] [--no-record]`: runs the mock on its
// own (the benchmark does this). Prints one JSON line {"url": ...} once listening.
import { parseArgs } from "node:util";
import { startMockLlm } from "./index.ts";

const { values } = parseArgs({
  options: { port: { type: "string" }, host: { type: "string" }, record: { type: "boolean" }, "no-record": { type: "boolean" } },
});
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`invalid --port ${values.port}\n`);
  process.exit(2);
}

// Recording is off by default here: a long benchmark run would otherwise grow without bound.
const mock = await startMockLlm({ port, host: values.host, record: values.record === true && values["no-record"] !== true });
process.stdout.write(`${JSON.stringify({ url: mock.url })}\n`);

const stop = () => {
  mock.close().then(() => process.exit(0), () => process.exit(1));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
