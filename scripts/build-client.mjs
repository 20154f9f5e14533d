#!/usr/bin/env node
// Builds the typed client package (client/) into client/dist/: ES modules and type declarations, compiled
// by tsc (through its API) with client/tsconfig.json.
//
// In the repository client/src/protocol.ts re-exports the protocol types from the server's zod schemas
// (src/protocol/). The package must need neither the server's source nor zod, so for the build that file
// is replaced by the same types written out as plain TypeScript, read off the type checker: the exported
// type aliases and interfaces, each named type referred to by its name. tsc compiles it with the rest,
// and the build fails if a declaration in dist/ imports anything but its own files and socket.io-client.
//
//   node scripts/build-client.mjs         (also `npm run build` and `npm pack` in client/)
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const clientDir = join(root, 'client');
const PROTOCOL = join(clientDir, 'src', 'protocol.ts');
/** What the emitted files may import, besides their own files. */
const PACKAGE_IMPORTS = new Set(['socket.io-client']);

const formatHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};
const failure = (diagnostics) => new Error(ts.formatDiagnostics(diagnostics, formatHost));

function readConfig(file) {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    file,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw failure([d]);
      },
    },
  );
  if (parsed.errors.length > 0) throw failure(parsed.errors);
  return parsed;
}

/** The types client/src/protocol.ts exports, written out as plain TypeScript source. */
export function protocolSource() {
  const { options } = readConfig(join(root, 'tsconfig.json'));
  const program = ts.createProgram([PROTOCOL], { ...options, noEmit: true });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) throw failure(diagnostics);
  const checker = program.getTypeChecker();

  const exported = [];
  for (const symbol of checker.getExportsOfModule(
    checker.getSymbolAtLocation(program.getSourceFile(PROTOCOL)),
  )) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    // `export type *` also re-exports the schemas themselves (values): only the types are wanted.
    if (!(target.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface))) continue;
    const declaration = target.declarations[0];
    if (declaration.typeParameters?.length)
      throw new Error(`${symbol.name}: generic types are not supported`);
    exported.push({ name: symbol.name, target, declaration, type: checker.getDeclaredTypeOfSymbol(target) });
  }
  const order = (e) => [e.declaration.getSourceFile().fileName, e.declaration.pos];
  exported.sort((a, b) => {
    const [fa, pa] = order(a);
    const [fb, pb] = order(b);
    return fa === fb ? pa - pb : fa < fb ? -1 : 1;
  });
  const names = new Map(exported.map((e) => [e.type, e.name]));
  const write = typeWriter(checker, names);

  const header = [
    '/*!',
    ' * The protocol types of the Parley server this package was built from (its src/protocol/), written',
    ' * out by scripts/build-client.mjs at build time.',
    ' */',
  ];
  const declarations = exported.map(({ name, target, declaration, type }) => {
    const doc = write.comment(docsOf(checker, target, declaration), '');
    const text =
      target.flags & ts.SymbolFlags.Interface
        ? `export interface ${name} ${write.type(type, '', type)}`
        : `export type ${name} = ${write.type(type, '', type)};`;
    return doc ? `${doc}\n${text}` : text;
  });
  return `${[header.join('\n'), ...declarations].join('\n\n')}\n`;
}

/** A type's own JSDoc; for `z.infer<typeof schema>`, the schema's. */
function docsOf(checker, symbol, declaration) {
  const own = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  if (own || !ts.isTypeAliasDeclaration(declaration)) return own;
  let schema;
  const visit = (node) => {
    if (!schema && ts.isTypeQueryNode(node)) schema = checker.getSymbolAtLocation(node.exprName);
    else ts.forEachChild(node, visit);
  };
  visit(declaration.type);
  return schema ? ts.displayPartsToString(schema.getDocumentationComment(checker)).trim() : '';
}

function typeWriter(checker, names) {
  const F = ts.TypeFlags;
  const KEYWORDS =
    F.Any | F.Unknown | F.String | F.Number | F.Boolean | F.BigInt | F.Void | F.Undefined | F.Null | F.Never;

  const comment = (text, indent) => {
    if (!text) return '';
    const lines = text.split('\n');
    if (lines.length === 1) return `${indent}/** ${text} */`;
    return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`.trimEnd()), `${indent} */`].join('\n');
  };
  const key = (name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));
  const isFunction = (t) =>
    Boolean(t.flags & F.Object) &&
    t.getCallSignatures().length > 0 &&
    checker.getPropertiesOfType(t).length === 0 &&
    !names.has(t);
  /** Parenthesised where needed as a member of a union, an intersection or an array. */
  const operand = (t, indent) => {
    const text = type(t, indent);
    return isFunction(t) || ((t.isUnion() || t.isIntersection()) && !names.has(t) && !(t.flags & F.Boolean))
      ? `(${text})`
      : text;
  };

  /** A union's members, `true | false` as `boolean`, null and undefined last. */
  function members(types, indent) {
    const bools = types.filter((t) => t.flags & F.BooleanLiteral);
    const rest = types.filter((t) => !(t.flags & F.BooleanLiteral));
    const parts = rest.filter((t) => !(t.flags & (F.Null | F.Undefined))).map((t) => operand(t, indent));
    if (bools.length === 2) parts.push('boolean');
    else parts.push(...bools.map((t) => checker.typeToString(t)));
    parts.push(...rest.filter((t) => t.flags & (F.Null | F.Undefined)).map((t) => checker.typeToString(t)));
    return parts.join(' | ');
  }

  function signature(sig, indent) {
    const params = sig.parameters.map((p) => {
      const decl = p.valueDeclaration;
      if (!decl || !ts.isParameter(decl)) throw new Error(`cannot write out the parameter ${p.name}`);
      const optional = checker.isOptionalParameter(decl);
      const t = checker.getTypeOfSymbol(p);
      // An optional parameter's type includes `undefined`, which `?` already says.
      const text =
        optional && t.isUnion()
          ? members(
              t.types.filter((m) => !(m.flags & F.Undefined)),
              indent,
            )
          : type(t, indent);
      return `${decl.dotDotDotToken ? '...' : ''}${p.name}${optional && !decl.dotDotDotToken ? '?' : ''}: ${text}`;
    });
    return `(${params.join(', ')}) => ${type(sig.getReturnType(), indent)}`;
  }

  /** The unnamed object types being written out: one met again is recursive and needs a name. */
  const open = new Set();

  /** `t` as TypeScript; named types by their name, except `self` (the one being declared). */
  function type(t, indent, self) {
    const named = names.get(t);
    if (named && t !== self) return named;
    if (open.has(t)) throw new Error(`cannot write out the recursive type ${checker.typeToString(t)}`);
    open.add(t);
    try {
      return write(t, indent, self);
    } finally {
      open.delete(t);
    }
  }

  function write(t, indent, self) {
    if (t.flags & F.StringLiteral) return JSON.stringify(t.value);
    if (t.flags & (F.NumberLiteral | F.BooleanLiteral | KEYWORDS)) return checker.typeToString(t);
    if (t.isUnion()) return members(t.types, indent);
    if (t.isIntersection()) return t.types.map((m) => operand(m, indent)).join(' & ');
    if (checker.isArrayType(t)) {
      const element = operand(checker.getTypeArguments(t)[0], indent);
      return t.target.symbol.name === 'ReadonlyArray' ? `readonly ${element}[]` : `${element}[]`;
    }
    if (t.flags & F.Object && !checker.isTupleType(t)) {
      const properties = checker.getPropertiesOfType(t);
      const calls = t.getCallSignatures();
      const indexes = checker.getIndexInfosOfType(t);
      if (calls.length === 1 && properties.length === 0 && indexes.length === 0 && t !== self)
        return signature(calls[0], indent);
      if (calls.length > 0 || t.getConstructSignatures().length > 0)
        throw new Error(`cannot write out the type ${checker.typeToString(t)}`);
      const inner = `${indent}  `;
      const lines = [];
      for (const info of indexes)
        lines.push(
          `${inner}${info.isReadonly ? 'readonly ' : ''}[key: ${type(info.keyType, inner)}]: ${type(info.type, inner)};`,
        );
      for (const p of properties) {
        const readonly = p.declarations?.some(
          (d) => ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Readonly,
        )
          ? 'readonly '
          : '';
        const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
        const doc = comment(ts.displayPartsToString(p.getDocumentationComment(checker)).trim(), inner);
        if (doc) lines.push(doc);
        lines.push(
          `${inner}${readonly}${key(p.name)}${optional}: ${type(checker.getTypeOfSymbol(p), inner)};`,
        );
      }
      return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
    }
    throw new Error(`cannot write out the type ${checker.typeToString(t)}`);
  }

  return { type, comment };
}

/** Compiles client/ into `outDir` (client/dist/); throws with tsc's messages on any error. */
export function buildClient({ outDir = join(clientDir, 'dist') } = {}) {
  const protocol = protocolSource();
  const parsed = readConfig(join(clientDir, 'tsconfig.json'));
  const options = { ...parsed.options, outDir };
  const host = ts.createCompilerHost(options);
  const isProtocol = (file) => resolve(file) === PROTOCOL;
  const { getSourceFile, readFile } = host;
  host.readFile = (file) => (isProtocol(file) ? protocol : readFile.call(host, file));
  host.getSourceFile = (file, languageVersion, ...rest) =>
    isProtocol(file)
      ? ts.createSourceFile(file, protocol, languageVersion)
      : getSourceFile.call(host, file, languageVersion, ...rest);

  rmSync(outDir, { recursive: true, force: true });
  const program = ts.createProgram({ rootNames: parsed.fileNames, options, host });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) throw failure(diagnostics);
  const emitted = program.emit();
  if (emitted.emitSkipped || emitted.diagnostics.length > 0) throw failure(emitted.diagnostics);

  const files = readdirSync(outDir, { recursive: true }).filter((f) => /\.(js|d\.ts)$/.test(f));
  for (const file of files) {
    const text = readFileSync(join(outDir, file), 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const own = specifier.startsWith('./') && !specifier.includes('..');
      if (!own && !PACKAGE_IMPORTS.has(specifier))
        throw new Error(
          `client/dist/${file} imports '${specifier}': the package would not be self-contained`,
        );
    }
  }
  return { outDir, files: files.sort() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  try {
    const { files } = buildClient();
    console.log(`client built in client/dist (${files.join(', ')}; ${Date.now() - started} ms)`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
