import { createHmac, randomBytes } from "node:crypto";
import net from "node:net";
import { ErrorBodySchema, type Video } from "@openv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClerkWebhookVerifier } from "../src/adapters/auth/clerk-webhook.js";
import { bindings, ScriptedProvider, startTestServer, type TestServer } from "./helpers.js";

/**
 * Adversarial input (issue 7): every route of shared/API.md fed a generated table of malformed
 * input — wrong types, huge and deeply nested values, prototype-pollution keys, NUL bytes, unicode
 * edge cases and invalid UTF-8, non-integers where integers belong, duplicate query parameters,
 * 10 MB bodies, wrong content types, empty bodies. Each gets the contract's status and error
 * envelope and never a 500, leaves every table's row count as it was and leaves Object.prototype
 * alone. Weird but valid input (emoji, RTL overrides, zero-width characters) is accepted and comes
 * back exactly as sent.
 *
 * Requests go over a raw socket, so the table can send what fetch refuses to (invalid UTF-8, raw
 * bytes and duplicates in headers, a 10 MB body the server stops reading) to any binding that
 * listens on `origin`.
 */

// ── A raw HTTP/1.1 client ────────────────────────────────────────────────────────────────────────

interface RawRequest {
  method: string;
  /** The request target exactly as sent, e.g. "/api/videos?limit=5". */
  target: string;
  /** Header lines in order (duplicates allowed); values may be raw bytes. */
  headers?: [string, string | Buffer][];
  body?: Buffer;
  /** Send the body with Transfer-Encoding: chunked in pieces of this many bytes. */
  chunked?: number;
  /** When the answer is an event stream, read it this long after its headers, then hang up. */
  streamMs?: number;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Whether the server closed the connection (false: an event stream still open when we hung up). */
  closedByServer: boolean;
}

function parseAnswer(raw: Buffer): Answer | null {
  const end = raw.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const [statusLine = "", ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers["transfer-encoding"] === "chunked") {
    const pieces: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf("\r\n", at);
      const size = lineEnd === -1 ? 0 : Number.parseInt(body.subarray(at, lineEnd).toString(), 16);
      if (!size) break;
      pieces.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(pieces);
  }
  return { status: Number(statusLine.split(" ")[1]), headers, text: body.toString("utf8"), closedByServer: true };
}

function send(origin: string, request: RawRequest): Promise<Answer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const received: Buffer[] = [];
    let settled = false;
    let streaming = false;
    const settle = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      const answer = parseAnswer(Buffer.concat(received));
      if (answer) resolve({ ...answer, closedByServer });
      else reject(new Error(`no HTTP answer to ${request.method} ${request.target.slice(0, 120)}`));
    };
    socket.on("data", (chunk) => {
      received.push(chunk);
      if (request.streamMs === undefined || streaming) return;
      if (parseAnswer(Buffer.concat(received))?.headers["content-type"]?.startsWith("text/event-stream")) {
        streaming = true;
        setTimeout(() => {
          settle(false);
          socket.destroy();
        }, request.streamMs);
      }
    });
    // The server may answer and hang up while a large body is still being sent (EPIPE, ECONNRESET).
    socket.on("error", () => {});
    socket.on("close", () => settle(true));
    setTimeout(() => socket.destroy(), 20_000).unref();

    const { body, chunked } = request;
    const headers: [string, string | Buffer][] = [
      ["Host", `${hostname}:${port}`],
      ["Connection", "close"],
      ...(request.headers ?? []),
      ...(body && !chunked ? [["Content-Length", String(body.length)] as [string, string]] : []),
      ...(body && chunked ? [["Transfer-Encoding", "chunked"] as [string, string]] : []),
    ];
    const head = [Buffer.from(`${request.method} ${request.target} HTTP/1.1\r\n`)];
    for (const [name, value] of headers) head.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from("\r\n"));
    head.push(Buffer.from("\r\n"));
    socket.write(Buffer.concat(head));
    if (body && chunked) {
      for (let at = 0; at < body.length && !socket.destroyed; at += chunked) {
        const piece = body.subarray(at, at + chunked);
        socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]));
      }
      if (!socket.destroyed) socket.write("0\r\n\r\n");
    } else if (body) {
      socket.write(body);
    }
  });
}

// ── JSON with parts JSON.stringify cannot write ──────────────────────────────────────────────────

/** A JSON literal written as is: 1e999, 9007199254740993, a 100 000-deep array. */
class RawJson {
  constructor(readonly text: string) {}
}
/** A string with raw bytes (say, invalid UTF-8) between `before` and `after`. */
class RawBytes {
  constructor(
    readonly before: string,
    readonly bytes: number[],
    readonly after: string,
  ) {}
}
const raw = (text: string) => new RawJson(text);

/** The UTF-8 JSON text of `value`, with RawJson and RawBytes written as they are. */
function encode(value: unknown): Buffer {
  const inserts: Buffer[] = [];
  const text = JSON.stringify(value, (_key, part: unknown) => {
    if (part instanceof RawJson) return `@@RAW${inserts.push(Buffer.from(part.text)) - 1}@@`;
    if (part instanceof RawBytes) {
      return `${part.before}@@BYTES${inserts.push(Buffer.from(part.bytes)) - 1}@@${part.after}`;
    }
    return part;
  });
  const pieces = text.split(/"@@RAW(\d+)@@"|@@BYTES(\d+)@@/);
  return Buffer.concat(
    pieces.map((piece, index) => {
      if (index % 3 === 0) return Buffer.from(piece ?? "");
      return piece === undefined ? Buffer.alloc(0) : (inserts[Number(piece)] as Buffer);
    }),
  );
}

/** `body` with a key written first in its JSON text (`__proto__` cannot be written any other way). */
const withRawKey = (body: unknown, keyAndValue: string) => {
  const text = encode(body).toString();
  return Buffer.from(text === "{}" ? `{${keyAndValue}}` : `{${keyAndValue},${text.slice(1)}`);
};

const deepArray = (depth: number) => raw("[".repeat(depth) + "]".repeat(depth));
const deepObject = (depth: number) => raw(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);

// ── What a case expects ──────────────────────────────────────────────────────────────────────────

type Counts = Record<string, number>;
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

type Expected =
  /** The contract's error envelope with this status and code (or one of `alternatives`); nothing stored. */
  | { kind: "refused"; status: number; code: string; alternatives?: { status: number; code: string }[] }
  /** Accepted with `status`; `changes` is what the row counts grow by ("any": not compared). */
  | {
      kind: "accepted";
      status: number;
      check?: (body: Json, answer: Answer) => void | Promise<void>;
      changes?: Counts | "any";
    }
  /** Refused by Node's HTTP parser before any route (no contract envelope is possible there). */
  | { kind: "protocol"; status: number };

const refused = (status: number, code: string, ...alternatives: { status: number; code: string }[]): Expected => ({
  kind: "refused",
  status,
  code,
  alternatives,
});
const invalid = refused(400, "validation_failed");
const unauthorized = refused(401, "unauthorized");
const notFound = refused(404, "not_found");
const tooLarge = refused(413, "payload_too_large");
/** An id longer than the contract's 200 characters: no such video, or a bad request. */
const longId = refused(404, "not_found", { status: 400, code: "validation_failed" });
/** A malformed URL: either answer is the contract's, as long as it is an envelope. */
const badUrl = refused(400, "validation_failed", { status: 404, code: "not_found" });
const accepted = (
  status: number,
  check?: (body: Json, answer: Answer) => void | Promise<void>,
  changes?: Counts | "any",
) => ({ kind: "accepted", status, ...(check && { check }), ...(changes && { changes }) }) as Expected;

interface Case {
  title: string;
  request: (world: World) => RawRequest;
  expect: Expected;
}

/** What the cases need from the running server (filled in by beforeAll). */
interface World {
  server: TestServer;
  /** Alice's video, and the webhook path (with its token) of its job `job-1`. */
  aliceVideo: Video;
  webhook: string;
  /** Bob's video, which Alice must not see. */
  bobVideo: Video;
  /** Dave's videos, one per webhook case that changes its video. */
  daveWebhooks: string[];
  /** The row counts after the last case, when known. */
  counts: Counts | null;
}

// ── Users and routes ─────────────────────────────────────────────────────────────────────────────

/** Alice has accepted the terms and has one video; the refusals run as her. */
const alice = "alice";
/** Bob has accepted the terms; the weird-but-valid generate requests run as him. */
const bob = "bob";
/** Carol has not accepted the terms: a generate body that passes validation gets 403, stores nothing. */
const carol = "carol";
const dave = "dave";
const user = (id: string): [string, string] => ["X-OpenV-User", id];
const jsonType: [string, string] = ["Content-Type", "application/json"];

const clerkSecret = randomBytes(24);
/** Every Clerk case reuses a delivery id beforeAll has already applied, so a valid one changes nothing. */
const seenDelivery = "msg_seen_before";
function svixHeaders(body: Buffer): [string, string][] {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", clerkSecret)
    .update(Buffer.concat([Buffer.from(`${seenDelivery}.${timestamp}.`), body]))
    .digest("base64");
  return [
    ["svix-id", seenDelivery],
    ["svix-timestamp", timestamp],
    ["svix-signature", `v1,${signature}`],
  ];
}

type FieldKind =
  | "prompt"
  | "optionalText"
  | "version"
  | "model"
  | "frames"
  | "dimension"
  | "seed"
  | "steps"
  | "cfg"
  | "idList"
  | "jobId"
  | "jobStatus"
  | "number"
  | "object"
  | "eventType"
  | "record"
  | "clerkUserId"
  | "creditUserId"
  | "credits";

interface BodyRoute {
  name: string;
  method: string;
  target: (world: World) => string;
  headers: (body: Buffer) => [string, string | Buffer][];
  /** A body the route accepts without storing anything, and its answer. */
  valid: Record<string, unknown>;
  validAnswer: Expected;
  /** Strict routes refuse unknown keys; the provider's and Clerk's payloads may carry more. */
  unknownKeys: "refused" | "ignored";
  /** Whether the body is parsed as JSON by the server (Clerk's is verified as raw text first). */
  parsedAsJson: boolean;
  /** The fields to put wrong values in, by path. */
  fields: [path: string[], kind: FieldKind][];
  /** Where a huge string goes. */
  textField: string[];
}

const generateBody = { prompt: "a cat on a skateboard", frames: 7, width: 256, height: 256 };
const runpodBody = {
  prompt: "a cat on a skateboard",
  frames: 7,
  input: { positive_prompt: "a cat on a skateboard", num_frames: 7, width: 256, height: 256 },
};

const bodyRoutes: BodyRoute[] = [
  {
    name: "POST /videos",
    method: "POST",
    target: () => "/api/videos",
    headers: () => [user(carol)],
    valid: generateBody,
    validAnswer: refused(403, "terms_required"),
    unknownKeys: "refused",
    parsedAsJson: true,
    fields: [
      [["prompt"], "prompt"],
      [["negativePrompt"], "optionalText"],
      [["frames"], "frames"],
      [["width"], "dimension"],
      [["height"], "dimension"],
      [["seed"], "seed"],
      [["steps"], "steps"],
      [["cfg"], "cfg"],
      [["model"], "model"],
    ],
    textField: ["prompt"],
  },
  {
    name: "POST /runpod",
    method: "POST",
    target: () => "/api/runpod",
    headers: () => [user(carol)],
    valid: runpodBody,
    validAnswer: refused(403, "terms_required"),
    unknownKeys: "refused",
    parsedAsJson: true,
    fields: [
      [["prompt"], "prompt"],
      [["modelName"], "model"],
      [["frames"], "frames"],
      [["input"], "object"],
      [["input", "positive_prompt"], "prompt"],
      [["input", "negative_prompt"], "optionalText"],
      [["input", "width"], "dimension"],
      [["input", "height"], "dimension"],
      [["input", "seed"], "seed"],
      [["input", "steps"], "steps"],
      [["input", "cfg"], "cfg"],
      [["input", "num_frames"], "frames"],
    ],
    textField: ["input", "positive_prompt"],
  },
  {
    name: "DELETE /videos",
    method: "DELETE",
    target: () => "/api/videos",
    headers: () => [user(alice)],
    valid: { ids: ["vid_nope"] },
    validAnswer: accepted(200, (body) => expect(body).toEqual({ deleted: [] })),
    unknownKeys: "refused",
    parsedAsJson: true,
    fields: [
      [["ids"], "idList"],
      [["jobIds"], "idList"],
    ],
    textField: ["ids", "0"],
  },
  {
    // Bodies are checked before the caller's role: a valid grant by a user who is no admin is 403.
    name: "POST /admin/credits",
    method: "POST",
    target: () => "/api/admin/credits",
    headers: () => [user(alice)],
    valid: { userId: "carol", credits: 5 },
    validAnswer: refused(403, "forbidden"),
    unknownKeys: "refused",
    parsedAsJson: true,
    fields: [
      [["userId"], "creditUserId"],
      [["credits"], "credits"],
      [["reason"], "optionalText"],
    ],
    textField: ["reason"],
  },
  {
    name: "POST /terms/accept",
    method: "POST",
    target: () => "/api/terms/accept",
    headers: () => [user(alice)],
    // Accepting again is not an error, and stores nothing new.
    valid: { version: "1.0.0" },
    validAnswer: accepted(200, (body) => expect(body).toMatchObject({ accepted: true, version: "1.0.0" })),
    unknownKeys: "refused",
    parsedAsJson: true,
    fields: [[["version"], "version"]],
    textField: ["version"],
  },
  {
    name: "POST /runpod/webhook",
    method: "POST",
    target: (world) => world.webhook,
    headers: () => [],
    // The video has job-1 already: a job still in the queue changes nothing.
    valid: { id: "job-1", status: "IN_QUEUE" },
    validAnswer: accepted(200, (body) => expect(body).toMatchObject({ received: true })),
    unknownKeys: "ignored",
    parsedAsJson: true,
    fields: [
      [["id"], "jobId"],
      [["status"], "jobStatus"],
      [["delayTime"], "number"],
      [["executionTime"], "number"],
    ],
    textField: ["id"],
  },
  {
    name: "POST /webhooks/clerk (signed)",
    method: "POST",
    target: () => "/api/webhooks/clerk",
    headers: svixHeaders,
    valid: { type: "user.created", object: "event", data: { id: "user_clerk" } },
    validAnswer: accepted(200, (body) => expect(body).toEqual({ received: true, applied: false })),
    unknownKeys: "ignored",
    parsedAsJson: false,
    fields: [
      [["type"], "eventType"],
      [["data"], "record"],
      [["data", "id"], "clerkUserId"],
    ],
    textField: ["type"],
  },
];

const notAString = [42, 0, true, null, [], ["a cat"], {}, { $ne: "" }];
const notANumber = ["7", "", null, true, [], [7], {}, { $gt: 0 }];
const notFinite = [raw("1e999"), raw("-1e999")];
const unsafeInteger = raw("9007199254740993");

/** Values each kind of field must refuse (the route's other fields valid). */
const wrongValues: Record<FieldKind, unknown[]> = {
  prompt: [...notAString, "", "   ", "\n\t", "x".repeat(2001)],
  optionalText: [...notAString, "x".repeat(2001)],
  version: [...notAString, "", "v".repeat(101)],
  model: [...notAString, "", "mochi-2", "MOCHI-1", "mochi-1 "],
  frames: [...notANumber, ...notFinite, unsafeInteger, -7, 0, 7.5, 8, 169, 1e308],
  dimension: [...notANumber, ...notFinite, unsafeInteger, -256, 0, 255, 850, 256.5, 1296, 1e308],
  seed: [...notANumber, ...notFinite, unsafeInteger, -1, 1.5, 4294967296, 1e308],
  steps: [...notANumber, ...notFinite, unsafeInteger, -1, 0, 1.5, 201, 1e308],
  cfg: [...notANumber, ...notFinite, -0.5, 20.5, 1e308],
  idList: ["vid_nope", 42, null, {}, [42], [null], [""], [["vid_nope"]], [{}], ["x".repeat(201)], Array(101).fill("v")],
  jobId: [...notAString, "", "j".repeat(201)],
  creditUserId: [...notAString, "", "u".repeat(201)],
  credits: [...notANumber, ...notFinite, unsafeInteger, 0, 1.5, 1_000_000_001, -1_000_000_001, 1e308],
  jobStatus: [...notAString, "", "DONE", "in_queue", "IN_QUEUE "],
  number: ["5", "", null, true, [], {}, ...notFinite],
  object: ["x", 42, null, true, [], [{}]],
  eventType: [...notAString, ""],
  record: ["data", 42, true, null, [], ["user_clerk"]],
  clerkUserId: [...notAString, ""],
};

function setPath(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = structuredClone(body);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    at[key] = at[key] && typeof at[key] === "object" ? at[key] : {};
    at = at[key] as Record<string, unknown>;
  }
  at[path.at(-1) as string] = value;
  return copy;
}

const describeValue = (value: unknown): string => {
  if (value instanceof RawJson) return value.text.length > 40 ? `${value.text.slice(0, 20)}…` : value.text;
  if (typeof value === "string" && value.length > 30) return `"${value.slice(0, 4)}…" (${value.length} chars)`;
  if (Array.isArray(value) && value.length > 5) return `[…${value.length} items]`;
  return JSON.stringify(value);
};

function bodyCase(
  route: BodyRoute,
  input: string,
  body: Buffer,
  expected: Expected,
  options: { contentType?: string | null; chunked?: number } = {},
): Case {
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  return {
    title: `${route.name} ← ${input}`,
    request: (world) => ({
      method: route.method,
      target: route.target(world),
      headers: [
        ...route.headers(body),
        ...(contentType === null ? [] : [["Content-Type", contentType] as [string, string]]),
      ],
      body,
      ...(options.chunked && { chunked: options.chunked }),
    }),
    expect: expected,
  };
}

/** Wrong, malformed, huge, nested and hostile bodies, for every route that takes one. */
function bodyCases(): Case[] {
  const cases: Case[] = [];
  const tenMegabytes = 10 * 1024 * 1024;
  for (const route of bodyRoutes) {
    const valid = encode(route.valid);
    const extraKeyAnswer = route.unknownKeys === "refused" ? invalid : route.validAnswer;
    const add = (input: string, body: Buffer | string, expected: Expected, options?: Parameters<typeof bodyCase>[4]) =>
      cases.push(bodyCase(route, input, Buffer.isBuffer(body) ? body : Buffer.from(body), expected, options));

    // The baseline: the valid body gets the route's answer (so every other case differs in one way).
    add("the valid body", valid, route.validAnswer);
    add("the valid body, Content-Type in capitals with a charset", valid, route.validAnswer, {
      contentType: "APPLICATION/JSON; Charset=UTF-8",
    });
    add(
      "the valid body with a duplicated key (the last one wins)",
      withRawKey(route.valid, `"${Object.keys(route.valid)[0]}":42`),
      route.validAnswer,
    );

    // Empty, malformed, and not an object.
    add("an empty body", "", invalid);
    add("an empty body without a Content-Type", "", invalid, { contentType: null });
    add("a body of spaces", "   \r\n\t ", invalid);
    add("an empty object", "{}", invalid);
    for (const text of [
      '{"prompt": "a cat",',
      "{'prompt': 'a cat'}",
      '{"a":1,}',
      "{}{}",
      "NaN",
      "undefined",
      "{\u0000}",
    ]) {
      add(`malformed JSON ${JSON.stringify(text)}`, text, invalid);
    }
    for (const text of ["null", "true", "42", '"a string"', "[]", `[${valid}]`]) {
      add(`top-level ${text.length > 20 ? "[valid body]" : text}`, text, invalid);
    }

    // Wrong content types (Clerk's route reads JSON and text/plain as raw text, then verifies it).
    add("the valid body as text/plain", valid, route.parsedAsJson ? invalid : route.validAnswer, {
      contentType: "text/plain",
    });
    add("the valid body without a Content-Type", valid, route.parsedAsJson ? invalid : route.validAnswer, {
      contentType: null,
    });
    add("a form body", "prompt=a+cat&frames=7", invalid, { contentType: "application/x-www-form-urlencoded" });
    add("a multipart body", "--x\r\nContent-Disposition: form-data; name=prompt\r\n\r\na cat\r\n--x--\r\n", invalid, {
      contentType: "multipart/form-data; boundary=x",
    });
    add("an XML body", "<video><prompt>a cat</prompt></video>", invalid, { contentType: "application/xml" });

    // Nested garbage.
    add("a 100 000-deep array", encode(deepArray(100_000)), invalid);
    add(
      "an unknown key holding a 100 000-deep array",
      encode({ ...route.valid, deep: deepArray(100_000) }),
      extraKeyAnswer,
    );
    add(
      "an unknown key holding a 50 000-deep object",
      encode({ ...route.valid, deep: deepObject(50_000) }),
      extraKeyAnswer,
    );
    add("an unknown key", encode({ ...route.valid, price: 0 }), extraKeyAnswer);

    // Prototype pollution: refused where the server parses JSON; Clerk's payload is parsed by its
    // verifier (JSON.parse, which makes __proto__ an own key) and is then valid.
    const pollutionAnswer = route.parsedAsJson ? invalid : route.validAnswer;
    add("a __proto__ key", withRawKey(route.valid, '"__proto__":{"polluted":"yes"}'), pollutionAnswer);
    add(
      "a constructor.prototype key",
      withRawKey(route.valid, '"constructor":{"prototype":{"polluted":"yes"}}'),
      pollutionAnswer,
    );
    const nested = route.fields.find(([path]) => path.length === 2)?.[0][0];
    if (nested) {
      // A nested object whose only fields come from a __proto__ key must not get them.
      const only = Object.fromEntries(Object.entries(route.valid[nested] as object));
      add(
        `${nested} with its fields under __proto__`,
        encode({ ...route.valid, [nested]: raw(`{"__proto__":${JSON.stringify(only)}}`) }),
        invalid,
      );
    }

    // Huge input.
    add(
      "a 900 kB string",
      encode(setPath(route.valid, route.textField, "x".repeat(900_000))),
      route.parsedAsJson ? invalid : route.validAnswer,
    );
    add("a 3 MB string", encode(setPath(route.valid, route.textField, "x".repeat(3_000_000))), tooLarge);
    const padding = encode({ ...route.valid, padding: "x".repeat(tenMegabytes) });
    add("a 10 MB body", padding, tooLarge);
    add("a 10 MB body, chunked (no Content-Length)", padding, tooLarge, { chunked: 64 * 1024 });
    add("a 10 MB body of text/plain", padding, tooLarge, { contentType: "text/plain" });

    // Raw bytes that are not UTF-8 text, and a NUL byte outside any string.
    // Clerk's signature covers the bytes sent, so a server that decodes them first may say 401.
    add(
      "raw invalid UTF-8 outside a string",
      Buffer.concat([valid.subarray(0, -1), Buffer.from([0x2c, 0xff, 0x7d])]),
      route.parsedAsJson ? invalid : refused(400, "validation_failed", { status: 401, code: "unauthorized" }),
    );

    // Each field with values of the wrong type, sign, size or shape.
    for (const [path, kind] of route.fields) {
      for (const value of wrongValues[kind]) {
        add(`${path.join(".")}: ${describeValue(value)}`, encode(setPath(route.valid, path, value)), invalid);
      }
    }
  }
  return cases;
}

// ── Unicode: text that must come back exactly, and text that is not text ───────────────────────

const weirdButValidTexts: [string, string][] = [
  ["emoji with ZWJ sequences, flags and skin tones", "a fox 🦊 with a family 👩‍👩‍👧‍👦 under flags 🇯🇵🏳️‍🌈, thumbs 👍🏽"],
  ["an RTL override and RTL scripts", "abc \u202Efdp.exe\u202C مرحبا بالعالم שלום עולם"],
  ["zero-width characters", "zero\u200Bwidth\u200Cnon\u200Djoiner\u2060word\uFEFFjoiner"],
  ["combining marks", "Z\u0351\u0352\u0353a\u0335l\u0336g\u0337o e\u0301 n\u0303"],
  ["astral-plane characters", "𝕬𝖑𝖕𝖍𝖆 𐍈 𠜎 🀄"],
  [
    "JSON, HTML and format metacharacters",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is the point
    'a "quote" \\ </script><script>alert(1)</script> ${x} %s %n \u2028\u2029 line\nbreak\ttab',
  ],
  ["C0 and C1 control characters", "bell\u0007 escape\u001B delete\u007F next-line\u0085 csi\u009B"],
  ["2000 UTF-16 units of emoji", "🦊".repeat(1000)],
];
const notStorableTexts: [string, string][] = [
  ["a NUL character (\\u0000)", "a\u0000b"],
  ["a lone high surrogate (\\ud800)", "a\uD800b"],
  ["a lone low surrogate (\\udc00)", "a\uDC00b"],
  ["surrogates in the wrong order", "a\uDC00\uD800b"],
];
const invalidUtf8: [string, number[]][] = [
  ["byte FF", [0xff]],
  ["an overlong '/' (C0 AF)", [0xc0, 0xaf]],
  ["an overlong NUL (E0 80 80)", [0xe0, 0x80, 0x80]],
  ["an encoded surrogate (ED A0 80)", [0xed, 0xa0, 0x80]],
  ["a truncated sequence (E2 82)", [0xe2, 0x82]],
  ["a code point past U+10FFFF (F4 90 80 80)", [0xf4, 0x90, 0x80, 0x80]],
  ["a raw NUL byte", [0x00]],
];

/** Percent-encodes every byte of `text` as UTF-8 (WTF-8 for lone surrogates, which encodeURIComponent refuses). */
function percentEncode(text: string | RawBytes): string {
  const bytes =
    text instanceof RawBytes
      ? Buffer.concat([Buffer.from(text.before), Buffer.from(text.bytes), Buffer.from(text.after)])
      : Buffer.from(
          [...text].flatMap((char) => {
            const code = char.codePointAt(0) as number;
            // Buffer.from would turn a lone surrogate into U+FFFD; write its three bytes instead.
            if (code >= 0xd800 && code <= 0xdfff)
              return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
            return [...Buffer.from(char)];
          }),
        );
  return [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/** The video the answer carries must hold `text` exactly, and so must a fresh read of it. */
const roundTrip = (world: () => World, field: "prompt" | "negativePrompt", text: string) => async (body: Json) => {
  expect(body.video[field]).toBe(text);
  const read = await send(world().server.origin, {
    method: "GET",
    target: `/api/videos/${body.video.id}`,
    headers: [user(bob)],
  });
  expect(read.status).toBe(200);
  expect(JSON.parse(read.text).video[field]).toBe(text);
};

interface TextSlot {
  name: string;
  request: (text: string | RawBytes, world: World) => RawRequest;
  valid: (text: string) => Expected;
  /** NUL and lone surrogates: valid JSON, but not text the database can hold. */
  notStorable: Expected | ((text: string) => Expected);
  /** Bytes that are not UTF-8. */
  notUtf8: Expected;
}

const jsonRequest = (
  method: string,
  target: string,
  headers: [string, string | Buffer][],
  body: unknown,
): RawRequest => ({
  method,
  target,
  headers: [...headers, jsonType],
  body: encode(body),
});

function textSlots(world: () => World): TextSlot[] {
  const created = { Video: 1, UsageEntry: 1 };
  return [
    {
      name: "POST /videos prompt",
      request: (text) => jsonRequest("POST", "/api/videos", [user(bob)], { ...generateBody, prompt: text }),
      valid: (text) => accepted(202, roundTrip(world, "prompt", text), created),
      notStorable: invalid,
      notUtf8: invalid,
    },
    {
      name: "POST /videos negativePrompt",
      request: (text) => jsonRequest("POST", "/api/videos", [user(bob)], { ...generateBody, negativePrompt: text }),
      valid: (text) => accepted(202, roundTrip(world, "negativePrompt", text), created),
      notStorable: invalid,
      notUtf8: invalid,
    },
    {
      name: "POST /runpod input.positive_prompt",
      request: (text) =>
        jsonRequest("POST", "/api/runpod", [user(bob)], {
          ...runpodBody,
          prompt: text,
          input: { ...runpodBody.input, positive_prompt: text },
        }),
      valid: (text) => accepted(202, roundTrip(world, "prompt", text), created),
      notStorable: invalid,
      notUtf8: invalid,
    },
    {
      name: "POST /terms/accept version",
      request: (text) => jsonRequest("POST", "/api/terms/accept", [user(alice)], { version: text }),
      valid: (text) => (text.length > 100 ? invalid : refused(409, "terms_version_mismatch")),
      // Text no database can hold is refused in any body, before a route reads it.
      notStorable: invalid,
      notUtf8: invalid,
    },
    {
      name: "DELETE /videos ids[0]",
      request: (text) => jsonRequest("DELETE", "/api/videos", [user(alice)], { ids: [text] }),
      valid: (text) => (text.length > 200 ? invalid : accepted(200, (body) => expect(body).toEqual({ deleted: [] }))),
      notStorable: invalid,
      notUtf8: invalid,
    },
    {
      name: "POST /runpod/webhook job id",
      request: (text, w) => jsonRequest("POST", w.webhook, [], { id: text, status: "IN_QUEUE" }),
      valid: (text) =>
        text.length > 200 ? invalid : accepted(200, (body) => expect(body).toMatchObject({ received: true })),
      // A provider's update is never refused over its text (the core cleans what it stores).
      notStorable: accepted(200, (body) => expect(body).toMatchObject({ received: true })),
      notUtf8: invalid,
    },
    {
      name: "GET /videos/:id",
      request: (text) => ({ method: "GET", target: `/api/videos/${percentEncode(text)}`, headers: [user(alice)] }),
      valid: (text) => (text.length > 200 ? longId : notFound),
      // A lone surrogate has no UTF-8 form: percent-encoded, it is a malformed URL.
      notStorable: (text) => (text.includes("\u0000") ? notFound : badUrl),
      notUtf8: badUrl,
    },
    {
      name: "DELETE /videos/:id",
      request: (text) => ({ method: "DELETE", target: `/api/videos/${percentEncode(text)}`, headers: [user(alice)] }),
      valid: (text) => (text.length > 200 ? longId : notFound),
      // A lone surrogate has no UTF-8 form: percent-encoded, it is a malformed URL.
      notStorable: (text) => (text.includes("\u0000") ? notFound : badUrl),
      notUtf8: badUrl,
    },
    {
      name: "GET /videos?cursor",
      request: (text) => ({
        method: "GET",
        target: `/api/videos?cursor=${percentEncode(text)}`,
        headers: [user(alice)],
      }),
      valid: () => invalid,
      notStorable: invalid,
      notUtf8: invalid,
    },
    {
      name: "POST /runpod/webhook ?video",
      request: (text, w) => {
        const url = new URL(w.webhook, "http://x");
        return jsonRequest(
          "POST",
          `${url.pathname}?video=${percentEncode(text)}&attempt=0&token=${url.searchParams.get("token")}`,
          [],
          {
            id: "job-1",
            status: "IN_QUEUE",
          },
        );
      },
      valid: () => unauthorized,
      notStorable: unauthorized,
      notUtf8: unauthorized,
    },
  ];
}

function unicodeCases(world: () => World): Case[] {
  const cases: Case[] = [];
  for (const slot of textSlots(world)) {
    for (const [name, text] of weirdButValidTexts) {
      cases.push({ title: `${slot.name} ← ${name}`, request: (w) => slot.request(text, w), expect: slot.valid(text) });
    }
    for (const [name, text] of notStorableTexts) {
      cases.push({
        title: `${slot.name} ← ${name}`,
        request: (w) => slot.request(text, w),
        expect: typeof slot.notStorable === "function" ? slot.notStorable(text) : slot.notStorable,
      });
    }
    for (const [name, bytes] of invalidUtf8) {
      const text = new RawBytes("a ", bytes, " b");
      cases.push({
        title: `${slot.name} ← invalid UTF-8: ${name}`,
        request: (w) => slot.request(text, w),
        expect: slot.notUtf8,
      });
    }
  }
  return cases;
}

// ── Credentials ──────────────────────────────────────────────────────────────────────────────────

interface AuthedRoute {
  name: string;
  request: (world: World) => RawRequest;
}

/** Every route behind auth; bodies are garbage on purpose (auth is checked first). */
const authedRoutes: AuthedRoute[] = [
  ["POST", "/api/videos", "{"],
  ["POST", "/api/runpod", "[]"],
  ["GET", "/api/videos?limit=abc"],
  ["DELETE", "/api/videos", '{"ids":[]}'],
  ["GET", "/api/videos/:id"],
  ["DELETE", "/api/videos/:id"],
  ["GET", "/api/videos/events?since=abc"],
  ["GET", "/api/usage"],
  ["GET", "/api/terms/check"],
  ["POST", "/api/terms/accept", '{"version":"9"}'],
  ["GET", "/api/credits?limit=abc"],
  ["POST", "/api/admin/credits", "{"],
  ["POST", "/api/uploads", "not an image"],
].map(([method = "", path = "", body]) => ({
  name: `${method} ${path.replace("/api", "")}`,
  request: (world: World) => ({
    method,
    target: path.replace(":id", world.aliceVideo.id),
    ...(body !== undefined && { body: Buffer.from(body), headers: [jsonType] }),
  }),
}));

const badUsers: [string, [string, string | Buffer][]][] = [
  ["a space", [user("alice smith")]],
  ["a path", [user("../../etc/passwd")]],
  ["201 characters", [user("a".repeat(201))]],
  ["SQL", [user(`alice';DROP TABLE "Video";--`)]],
  ["HTML", [user("<script>alert(1)</script>")]],
  ["raw UTF-8 bytes", [["X-OpenV-User", Buffer.from("алиса")]]],
  ["raw emoji bytes", [["X-OpenV-User", Buffer.from("🦊")]]],
  ["latin-1 bytes", [["X-OpenV-User", Buffer.from([0x61, 0xe9])]]],
  ["a comma list", [user("alice,bob")]],
  ["the header twice", [user(alice), user(bob)]],
];

function authCases(): Case[] {
  return authedRoutes.flatMap((route) =>
    badUsers.map(([name, headers]) => ({
      title: `${route.name} as X-OpenV-User: ${name}`,
      request: (world: World) => {
        const request = route.request(world);
        return {
          ...request,
          headers: [...headers, ...(request.headers ?? [])],
          streamMs: 0,
        };
      },
      expect: unauthorized,
    })),
  );
}

// ── Query parameters, paths, methods and headers ────────────────────────────────────────────────

const listAnswer = accepted(200, (body) => {
  expect(Array.isArray(body.videos)).toBe(true);
  expect(typeof body.serverTime).toBe("number");
});
const streamOpens = accepted(200, (_body, answer) => {
  expect(answer.headers["content-type"]).toMatch(/^text\/event-stream/);
  expect(answer.closedByServer, "the stream stays open").toBe(false);
});

const notAnInteger = ["-1", "1.5", "abc", "NaN", "Infinity", "1e999", "99999999999999999999", "%00", "[5]"];
/** Spellings Number() reads but that are not decimal integers. */
const notDecimal = ["", "0x10", "1e1"];

function queryCases(): Case[] {
  const get = (title: string, target: string, expected: Expected, headers: [string, string | Buffer][] = []): Case => ({
    title,
    request: () => ({
      method: "GET",
      target,
      headers: [user(alice), ...headers],
      streamMs: 100,
    }),
    expect: expected,
  });
  const cases: Case[] = [];
  for (const value of [...notAnInteger, ...notDecimal, "0", "201"]) {
    cases.push(get(`GET /videos?limit=${value}`, `/api/videos?limit=${value}`, invalid));
  }
  for (const value of [...notAnInteger, ...notDecimal, "9007199254740993"]) {
    cases.push(get(`GET /videos?updatedSince=${value}`, `/api/videos?updatedSince=${value}`, invalid));
    cases.push(get(`GET /videos/events?since=${value}`, `/api/videos/events?since=${value}`, invalid));
  }
  for (const value of ["", "bm9wZQ", "x".repeat(501), "%27%20OR%201%3D1%20--", "..%2F..%2F"]) {
    cases.push(get(`GET /videos?cursor=${describeValue(value)}`, `/api/videos?cursor=${value}`, invalid));
  }
  for (const query of [
    "limit=5&limit=6",
    "limit=5&limit=5",
    "updatedSince=1&updatedSince=2",
    "cursor=a&cursor=b",
    "limit[]=5",
    "foo=1",
    "__proto__=x",
    "__proto__[polluted]=yes",
    "constructor[prototype][polluted]=yes",
    "toString=1",
  ]) {
    cases.push(get(`GET /videos?${query}`, `/api/videos?${query}`, invalid));
  }
  cases.push(get("GET /videos/events?since=1&since=2", "/api/videos/events?since=1&since=2", invalid));
  cases.push(get("GET /videos/events?foo=1", "/api/videos/events?foo=1", invalid));
  cases.push(
    get("GET /videos/events?since=abc with a valid Last-Event-ID", "/api/videos/events?since=abc", invalid, [
      ["Last-Event-ID", "5"],
    ]),
  );

  // Weird but valid.
  for (const query of ["limit=1", "limit=200", "limit=007", "updatedSince=0"]) {
    cases.push(get(`GET /videos?${query}`, `/api/videos?${query}`, listAnswer));
  }
  // Past the last date there is (8.64e15 ms), but a valid Unix ms all the same: nothing changed after it.
  const farFuture = "9007199254740991";
  cases.push(
    get(`GET /videos?updatedSince=${farFuture} (past the last date)`, `/api/videos?updatedSince=${farFuture}`, invalid),
    get("GET /videos/events?since=0", "/api/videos/events?since=0", streamOpens),
    {
      title: `GET /videos/events?since=${farFuture} (past the last date)`,
      request: () => ({
        method: "GET",
        target: `/api/videos/events?since=${farFuture}`,
        headers: [user(alice)],
        streamMs: 500,
      }),
      expect: invalid,
    },
  );
  for (const [name, value] of [
    ["abc", "abc"],
    ["-1", "-1"],
    ["1.5", "1.5"],
    ["20 digits", "9".repeat(20)],
    ["empty", ""],
    ["raw bytes", Buffer.from([0xff, 0xfe])],
    ["raw UTF-8", Buffer.from("１２３")],
  ] as [string, string | Buffer][]) {
    cases.push(
      get(`GET /videos/events with Last-Event-ID: ${name}`, "/api/videos/events", streamOpens, [
        ["Last-Event-ID", value],
      ]),
    );
  }
  const ignoredQuery = "__proto__[polluted]=yes&limit=abc&limit=1&constructor[prototype][polluted]=1";
  cases.push(
    get(
      `GET /usage?${ignoredQuery}`,
      `/api/usage?${ignoredQuery}`,
      accepted(200, (body) => expect(typeof body.limitSeconds).toBe("number")),
    ),
    get(
      `GET /terms/check?${ignoredQuery}`,
      `/api/terms/check?${ignoredQuery}`,
      accepted(200, (body) => expect(body.accepted).toBe(true)),
    ),
  );
  return cases;
}

function webhookQueryCases(): Case[] {
  const post = (title: string, query: (params: URLSearchParams, world: World) => string, expected: Expected): Case => ({
    title: `POST /runpod/webhook ${title}`,
    request: (world) => {
      const url = new URL(world.webhook, "http://x");
      return jsonRequest("POST", `${url.pathname}?${query(url.searchParams, world)}`, [], {
        id: "job-1",
        status: "IN_QUEUE",
      });
    },
    expect: expected,
  });
  const token = (params: URLSearchParams) => params.get("token") as string;
  const video = (params: URLSearchParams) => params.get("video") as string;
  return [
    post("without a query", () => "", unauthorized),
    post("without a token", (p) => `video=${video(p)}&attempt=0`, unauthorized),
    post("with a forged token", (p) => `video=${video(p)}&attempt=0&token=${"A".repeat(43)}`, unauthorized),
    post(
      "with the token of another video",
      (p, w) => `video=${w.bobVideo.id}&attempt=0&token=${token(p)}`,
      unauthorized,
    ),
    post("with the token of another attempt", (p) => `video=${video(p)}&attempt=1&token=${token(p)}`, unauthorized),
    ...["-1", "1.5", "abc", "1e999", "", "%00"].map((attempt) =>
      post(`with attempt=${attempt}`, (p) => `video=${video(p)}&attempt=${attempt}&token=${token(p)}`, unauthorized),
    ),
    post(
      "with the token twice",
      (p) => `video=${video(p)}&attempt=0&token=${token(p)}&token=${token(p)}`,
      unauthorized,
    ),
    post(
      "with the video twice",
      (p) => `video=${video(p)}&video=${video(p)}&attempt=0&token=${token(p)}`,
      unauthorized,
    ),
    post("with a 10 kB token", (p) => `video=${video(p)}&attempt=0&token=${"A".repeat(10_000)}`, unauthorized),
    post("with an extra __proto__ parameter", (p) => `${p}&__proto__[polluted]=yes`, accepted(200)),
  ];
}

function pathAndMethodCases(): Case[] {
  const cases: Case[] = [];
  for (const method of ["GET", "DELETE"]) {
    const at = (
      title: string,
      id: (world: World) => string,
      expected: Expected,
      headers: [string, string][] = [],
    ): Case => ({
      title: `${method} /videos/:id ← ${title}`,
      request: (world) => ({ method, target: `/api/videos/${id(world)}`, headers: [user(alice), ...headers] }),
      expect: expected,
    });
    cases.push(
      at("an unknown id", () => "vid_missing", notFound),
      at("another user's video (404, never 403)", (w) => w.bobVideo.id, notFound),
      at("path traversal", () => "..%2F..%2Fetc%2Fpasswd", notFound),
      at("SQL", () => "%27%20OR%20%271%27%3D%271", notFound),
      at("150 characters (under the contract's 200)", () => "v".repeat(150), notFound),
      at("5000 characters", () => "v".repeat(5000), longId),
      at("nothing (trailing slash)", () => "", badUrl),
      at("a broken percent-escape (%E0%A4%A)", () => "%E0%A4%A", badUrl),
      at("raw UTF-8 bytes in the request line", () => "🦊", { kind: "protocol", status: 400 }),
    );
    if (method === "DELETE") {
      // Many HTTP clients send Content-Type: application/json on every request; a bodiless DELETE is still a DELETE.
      cases.push(at("Content-Type: application/json and no body", () => "vid_missing", notFound, [jsonType]));
    }
  }
  const notAllowed = refused(405, "method_not_allowed");
  for (const [method, path, expected] of [
    ["PUT", "/api/videos", notAllowed],
    ["PATCH", "/api/videos/vid_missing", notAllowed],
    ["POST", "/api/usage", notAllowed],
    ["DELETE", "/api/usage", notAllowed],
    ["GET", "/api/terms/accept", notAllowed],
    ["GET", "/api/runpod/webhook", notAllowed],
    ["POST", "/api/videos/events", notAllowed],
    ["GET", "/api/webhooks/clerk", notAllowed],
    ["PROPFIND", "/api/videos", notAllowed],
    ["TRACE", "/api/health", notAllowed],
    ["LOCK", "/api/videos/vid_missing", notAllowed],
    ["QUERY", "/api/models", notAllowed],
    ["GET", "/api/nothing-here", notFound],
    ["PROPFIND", "/api/nothing-here", notFound],
  ] as const) {
    cases.push({
      title: `${method} ${path} (no such route)`,
      request: () => ({ method, target: path, headers: [user(alice)] }),
      expect: expected,
    });
  }
  return cases;
}

function headerCases(): Case[] {
  const generate = (title: string, headers: [string, string | Buffer][], expected: Expected): Case => ({
    title: `POST /videos with ${title}`,
    request: () => jsonRequest("POST", "/api/videos", [user(carol), ...headers], generateBody),
    expect: expected,
  });
  return [
    generate("an empty Idempotency-Key", [["Idempotency-Key", ""]], invalid),
    generate("an Idempotency-Key of 256 characters", [["Idempotency-Key", "k".repeat(256)]], invalid),
    generate("an Idempotency-Key of 20 kB (over Node's header limit)", [["Idempotency-Key", "k".repeat(20_000)]], {
      kind: "protocol",
      status: 431,
    }),
    generate("a NUL byte in Idempotency-Key", [["Idempotency-Key", Buffer.from("a\u0000b")]], {
      kind: "protocol",
      status: 400,
    }),
    generate("a NUL byte in X-OpenV-User", [["X-OpenV-User", Buffer.from("a\u0000b")]], {
      kind: "protocol",
      status: 400,
    }),
    {
      title: "GET /videos with a 1 MB query string",
      request: () => ({
        method: "GET",
        target: `/api/videos?cursor=${"x".repeat(1024 * 1024)}`,
        headers: [user(alice)],
      }),
      expect: { kind: "protocol", status: 431 },
    },
  ];
}

// ── The suite ────────────────────────────────────────────────────────────────────────────────────

async function check(world: World, testCase: Case) {
  // The counts after the previous case (nothing else writes meanwhile): one query per case, not two.
  const before = world.counts ?? (await world.server.tableCounts());
  world.counts = null;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
  const answer = await send(world.server.origin, testCase.request(world));
  const shown = `${answer.status} ${answer.text.slice(0, 400)}`;
  expect(answer.status, `never a 500: ${shown}`).toBeLessThan(500);
  const expected = testCase.expect;
  if (expected.kind === "refused") {
    let body: Json = null;
    try {
      body = JSON.parse(answer.text);
    } catch {}
    const allowed = [{ status: expected.status, code: expected.code }, ...(expected.alternatives ?? [])];
    expect(allowed, shown).toContainEqual({ status: answer.status, code: body?.error?.code });
    expect(ErrorBodySchema.safeParse(body).success, `the error envelope: ${shown}`).toBe(true);
    expect(Object.keys(body), shown).toEqual(["error"]);
    expect(answer.headers["content-type"], shown).toMatch(/^application\/json/);
    expect(answer.headers["x-request-id"], shown).toBeTruthy();
    if (body.error.code === "method_not_allowed") expect(answer.headers.allow, shown).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
    if (body.error.code === "validation_failed" && body.error.details) {
      expect(Array.isArray(body.error.details.issues), shown).toBe(true);
    }
  } else if (expected.kind === "accepted") {
    expect(answer.status, shown).toBe(expected.status);
    const body = answer.headers["content-type"]?.startsWith("application/json") ? JSON.parse(answer.text) : null;
    await expected.check?.(body, answer);
  } else {
    expect(answer.status, shown).toBe(expected.status);
  }
  const after = await world.server.tableCounts();
  world.counts = after;
  const changes = expected.kind === "accepted" ? (expected.changes ?? {}) : {};
  if (changes !== "any") {
    const want = Object.fromEntries(
      Object.entries(before).map(([table, count]) => [table, count + (changes[table] ?? 0)]),
    );
    expect(after, "row counts").toEqual(want);
  }
  expect(({} as { polluted?: unknown }).polluted, "Object.prototype polluted").toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
}

describe.each(bindings)(
  "adversarial input (%s binding): the contract's answer, never a 500, nothing stored",
  (binding) => {
    let world: World;
    let provider: ScriptedProvider;

    beforeAll(async () => {
      provider = new ScriptedProvider();
      const server = await startTestServer({
        binding,
        provider,
        // Dev auth for the users, plus Clerk's webhook route with a secret this test signs with.
        userEvents: createClerkWebhookVerifier({ signingSecret: `whsec_${clerkSecret.toString("base64")}` }),
        config: { maxActiveJobs: 1000, monthlyLimitSeconds: 1_000_000 },
      });
      const call = async (pathname: string, as: string, body?: unknown) => {
        const answer = await send(
          server.origin,
          body === undefined
            ? { method: "GET", target: pathname, headers: [user(as)] }
            : jsonRequest("POST", pathname, [user(as)], body),
        );
        expect(answer.status, answer.text).toBeLessThan(300);
        return JSON.parse(answer.text);
      };
      for (const id of [alice, bob, dave]) await call("/api/terms/accept", id, { version: "1.0.0" });
      const aliceVideo = (await call("/api/videos", alice, generateBody)).video as Video;
      const bobVideo = (await call("/api/videos", bob, generateBody)).video as Video;
      const daveVideos: Video[] = [];
      for (let i = 0; i < 4; i++) daveVideos.push((await call("/api/videos", dave, generateBody)).video);
      const webhookOf = (video: Video) => {
        const url = new URL(
          provider.submissions.find((submission) => submission.videoId === video.id)?.webhookUrl as string,
        );
        return `${url.pathname}${url.search}`;
      };
      // The delivery every Clerk case reuses, applied once.
      const seed = encode({ type: "user.created", object: "event", data: { id: "user_clerk" } });
      const seeded = await send(server.origin, {
        method: "POST",
        target: "/api/webhooks/clerk",
        headers: [...svixHeaders(seed), jsonType],
        body: seed,
      });
      expect(seeded.status, seeded.text).toBe(200);
      world = {
        server,
        aliceVideo,
        bobVideo,
        webhook: webhookOf(aliceVideo),
        daveWebhooks: daveVideos.map(webhookOf),
        counts: null,
      };
    });
    afterAll(() => world?.server.close());

    const table: Case[] = [
      ...bodyCases(),
      ...unicodeCases(() => world),
      ...authCases(),
      ...queryCases(),
      ...webhookQueryCases(),
      ...pathAndMethodCases(),
      ...headerCases(),
    ];

    it.each(table.map((testCase) => [testCase.title, testCase] as const))("%s", async (_title, testCase) => {
      await check(world, testCase);
    });

    it("an Idempotency-Key of raw UTF-8 bytes works as a key: the second request replays the first", async () => {
      const key: [string, Buffer] = ["Idempotency-Key", Buffer.from("ключ-🦊-\u202E")];
      world.counts = null;
      const before = await world.server.tableCounts();
      const request = jsonRequest("POST", "/api/videos", [user(bob), key], {
        ...generateBody,
        prompt: "idempotent fox",
      });
      const first = await send(world.server.origin, request);
      const second = await send(world.server.origin, request);
      expect([first.status, second.status], second.text).toEqual([202, 202]);
      expect(second.headers["idempotent-replayed"]).toBe("true");
      expect(JSON.parse(second.text).video.id).toBe(JSON.parse(first.text).video.id);
      expect((await world.server.tableCounts()).Video).toBe((before.Video ?? 0) + 1);
    });

    // Fields the contract types as `unknown` (RunPod's output and error) must not crash the server
    // whatever they hold; each case has its own video, since a valid update changes it.
    it.each([
      [
        "IN_PROGRESS with a 50 000-deep output",
        0,
        `{"id":"job-x","status":"IN_PROGRESS","output":${deepObject(50_000).text}}`,
      ],
      [
        "FAILED with a 50 000-deep error object",
        1,
        `{"id":"job-x","status":"FAILED","error":${deepObject(50_000).text}}`,
      ],
      [
        "FAILED with a NUL character in its error",
        2,
        JSON.stringify({ id: "job-x", status: "FAILED", error: "model_error: CUDA \u0000 fault" }),
      ],
      [
        "FAILED with a 900 kB error",
        3,
        JSON.stringify({ id: "job-x", status: "FAILED", error: `model_error: ${"x".repeat(900_000)}` }),
      ],
    ])("POST /runpod/webhook %s → 200, and the video still reads", async (_name, index, body) => {
      world.counts = null;
      const webhook = world.daveWebhooks[index] as string;
      const videoId = new URL(webhook, "http://x").searchParams.get("video") as string;
      const jobId = provider.submissions.find((submission) => submission.videoId === videoId)?.jobId as string;
      const answer = await send(world.server.origin, {
        method: "POST",
        target: webhook,
        headers: [jsonType],
        body: Buffer.from(body.replace("job-x", jobId)),
      });
      expect(answer.status, answer.text.slice(0, 300)).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ received: true });
      const read = await send(world.server.origin, {
        method: "GET",
        target: `/api/videos/${videoId}`,
        headers: [user(dave)],
      });
      expect(read.status, read.text.slice(0, 300)).toBe(200);
      expect(read.text).not.toContain("\\u0000");
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    });

    it("Alice's video and list are untouched after all of it", async () => {
      const list = JSON.parse(
        (await send(world.server.origin, { method: "GET", target: "/api/videos", headers: [user(alice)] })).text,
      );
      expect(list.videos).toHaveLength(1);
      expect(list.videos[0]).toMatchObject({
        id: world.aliceVideo.id,
        status: "queued",
        url: null,
        prompt: generateBody.prompt,
      });
    });
  },
);
