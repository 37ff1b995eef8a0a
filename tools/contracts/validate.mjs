// Validates an AsyncAPI document with the official parser; prints diagnostics, exits 1 on errors.
// Usage: node validate.mjs docs/events/asyncapi.yaml   (node_modules from `npm ci` beside package.json)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.ASYNCAPI_NODE_MODULES + "/");
const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");

const path = process.argv[2];
const { document, diagnostics } = await new Parser().parse(readFileSync(path, "utf8"));
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
for (const d of diagnostics) {
  const level = d.severity === DiagnosticSeverity.Error ? "error" : "warning";
  console.log(`${level}: ${d.code}: ${d.message} at /${(d.path || []).join("/")}`);
}
if (!document || errors.length) process.exit(1);
console.log(`valid AsyncAPI ${document.version()}: ${document.channels().length} channels, ${document.messages().length} messages`);
