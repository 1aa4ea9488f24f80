// The types reject what the spec rejects: the fixtures in test/types/ are type-checked with the
// package's compiler options against the built declarations (dist/index.d.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const fixtures = ["good.ts", "bad.ts"].map((name) => `${packageDir}test/types/${name}`);

const message = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
const config = ts.getParsedCommandLineOfConfigFile(`${packageDir}tsconfig.json`, {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(message(d)),
});
assert.ok(config);
// One program for both fixtures: type-checking is the slow part.
const program = ts.createProgram(fixtures, {
  ...config.options,
  rootDir: packageDir,
  noEmit: true,
});

/** The diagnostics of one fixture, each as its code and `line: message`. */
function diagnostics(fixture: string): { code: number; text: string }[] {
  const file = program.getSourceFile(`${packageDir}test/types/${fixture}`);
  assert.ok(file);
  return ts.getPreEmitDiagnostics(program, file).map((d) => ({
    code: d.code,
    text: `${file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${message(d)}`,
  }));
}

test("a PATCH with a body the spec allows compiles", () => {
  assert.deepEqual(diagnostics("good.ts"), []);
});

test('a PATCH with is_primary: "yes" does not compile', () => {
  assert.deepEqual(diagnostics("bad.ts"), [
    { code: 2322, text: "8: Type 'string' is not assignable to type 'boolean | undefined'." },
  ]);
});
