// Lint Cypher texts with Neo4j's own linter (@neo4j-cypher/language-support).
// Input (stdin): JSON {"texts": [{"name": "...", "cypher": "..."}], "versions": ["5", "25"],
//                      "consoleCommands": false, "parameters": {"name": value, ...}}
// Output (stdout): JSON [{"name", "version", "severity", "message", "line", "column"}, ...]
// Each text is linted once per Cypher version, with "CYPHER <version>" as the default language,
// and with cypher-shell's console commands (:param ...) allowed when consoleCommands is true.
import { CypherLanguageService } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const versions = request.versions ?? ['5', '25'];
const findings = [];
for (const version of versions) {
  const service = new CypherLanguageService({ consoleCommandsEnabled: Boolean(request.consoleCommands) });
  for (const { name, cypher } of request.texts) {
    const schema = { defaultLanguage: `CYPHER ${version}`, parameters: request.parameters ?? {} };
    const { diagnostics } = service.lint(cypher, schema);
    for (const d of diagnostics) {
      findings.push({
        name, version, severity: d.severity, message: d.message,
        line: d.range.start.line + 1, column: d.range.start.character + 1,
      });
    }
  }
}
process.stdout.write(JSON.stringify(findings));
