import AjvModule from 'ajv/dist/2020.js';

/** What an OpenAPI document served at /docs/json holds, as far as the tests read it. */
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
}

export interface OpenApiOperation {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: object }> }>;
}

/** `METHOD /path` with every path parameter written `{}`, to compare Fastify's and OpenAPI's spellings. */
const normalize = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/:[^/]+/g, '{}').replace(/\{[^}]+\}/g, '{}')}`;

/**
 * Every `METHOD path` in Fastify's `printRoutes({ commonPrefix: false })` tree, independently of
 * @fastify/swagger. Sibling parameters share a node (`:otherUserId|:id`), hence the normalized names.
 */
export function fastifyRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    stack.length = (match[1] ?? '').length / 4;
    stack.push(match[2] ?? '');
    for (const method of match[3]?.split(', ') ?? []) routes.push(normalize(method, stack.join('')));
  }
  return [...new Set(routes)].sort();
}

/** Every operation of an OpenAPI document, as `METHOD path` like `fastifyRoutes`. */
export const documentedRoutes = (doc: OpenApiDoc): string[] =>
  Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => normalize(method, path)))
    .sort();

const ajv = new AjvModule.default({ allErrors: true, strict: false });

/**
 * Checks one real answer against the OpenAPI document: the status is documented for the operation, with
 * the answer's media type, and the body matches the documented schema. Returns the problems.
 */
export function checkAnswer(
  doc: OpenApiDoc,
  route: { method: string; path: string },
  answer: { status: number; contentType: string; body: unknown },
): string[] {
  const label = `${route.method} ${route.path} → ${answer.status}`;
  const response = doc.paths[route.path]?.[route.method.toLowerCase()]?.responses[String(answer.status)];
  if (!response) return [`${label}: status not documented`];
  const media = answer.contentType.split(';')[0]?.trim() ?? '';
  const content = response.content?.[media];
  if (!content) return [`${label}: media type ${media} not documented`];
  if (!content.schema) return [];
  const validate = ajv.compile(content.schema);
  if (validate(answer.body)) return [];
  return (validate.errors ?? []).map((e) => `${label}: body${e.instancePath} ${e.message}`);
}
