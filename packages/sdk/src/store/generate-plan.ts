import { durationSeconds, type GenerateRequest, type Model, type ModelLimits, mochiModelLimits } from "@openv/protocol";
import type { OpenVClientError } from "../errors.js";
import type { Usage } from "../index.js";
import { formatCredits, formatSeconds } from "./format.js";
import { frameBounds, framesForSeconds, secondsRange } from "./model-limits.js";
import { checkQuota, type QuotaCheck } from "./quota.js";

/** What the person typed into `<GenerateForm>`: strings as the inputs hold them. */
export interface GenerateFields {
  /** The picked model; null: the catalog's first (the server's default). */
  modelId: string | null;
  /** The prompt as typed. */
  prompt: string;
  /** The negative prompt as typed (optional: empty sends none). */
  negativePrompt: string;
  /** The length field, in seconds. */
  seconds: string;
  /** Advanced fields; null: the chosen model's default, so a model picked later brings its own. */
  width: string | null;
  /** The height field; null: the model's default. */
  height: string | null;
  /** The inference steps field; null: the model's default. */
  steps: string | null;
  /** The guidance (CFG) field; null: the model's default. */
  cfg: string | null;
  /** The seed field; empty: random. */
  seed: string;
  /** Ask the server to enhance the prompt. */
  enhancePrompt: boolean;
}

/** The fields of a fresh form. */
export function initialFields(defaultSeconds: number): GenerateFields {
  return {
    modelId: null,
    prompt: "",
    negativePrompt: "",
    seconds: String(defaultSeconds),
    width: null,
    height: null,
    steps: null,
    cfg: null,
    seed: "",
    enhancePrompt: false,
  };
}

/** Why the form will not submit yet; each has a sentence the form shows where it applies. */
export type BlockReason =
  | "prompt-empty"
  | "prompt-too-long"
  | "negative-too-long"
  | "length"
  | "credits"
  | "over-quota"
  | "image-needed"
  | "image-too-large";

/** One reason the form will not submit, and what to do about it, for people. */
export interface Blocker {
  /** Which rule blocks it. */
  reason: BlockReason;
  /** What to do about it, for people. */
  message: string;
}

/** A prompt field's count against its limit. */
export interface TextCount {
  /** Characters typed. */
  length: number;
  /** The model's limit. */
  max: number;
  /** "12 / 2,000 characters", or past the limit "2,001 / 2,000 characters: 1 too many". */
  counter: string;
  /** `near` from 90% of the limit, `over` past it. */
  state: "near" | "over" | null;
}

function textCount(text: string, max: number): TextCount {
  const { length } = text;
  const base = `${formatCount(length)} / ${formatCount(max)} characters`;
  return {
    length,
    max,
    counter: length > max ? `${base}: ${formatCount(length - max)} too many` : base,
    state: length > max ? "over" : length >= max * 0.9 ? "near" : null,
  };
}

/** The allowance line: price and balance under credits billing, seconds left under the seconds policy. */
function allowanceText(usage: Usage | null, price: number | null): string {
  if (!usage) return "Checking your remaining video time…";
  if (usage.credits) {
    return price === null
      ? `You have ${formatCredits(usage.credits.balance)}.`
      : `This video costs ${formatCredits(price)}; you have ${usage.credits.balance}.`;
  }
  return usage.limitSeconds === null || usage.remainingSeconds === null
    ? `${formatSeconds(usage.usedSeconds)} used this period`
    : `${formatSeconds(usage.remainingSeconds)} of ${formatSeconds(usage.limitSeconds)} left this period`;
}

/** What the form needs besides the fields. */
export interface PlanContext {
  /** The catalog; null while loading or on a server without one (Mochi's limits, no model named). */
  models: readonly Model[] | null;
  /** The user's usage; null while loading. */
  usage: Usage | null;
  /** The picked input image's size, or null. */
  imageBytes: number | null;
  /** The largest image the server takes. */
  maxImageBytes: number;
}

/** Everything `<GenerateForm>` shows and sends, worked out from the fields: no React, no I/O. */
export interface GeneratePlan {
  /** The chosen model; null without a catalog. */
  model: Model | null;
  /** The chosen model's limits (Mochi's without a catalog). */
  limits: ModelLimits;
  /** Whether the model takes an input image. */
  imageMode: Model["image"];
  /** The prompt's length, limit, and counter as shown ("12 / 2,000 characters", "… 1 too many"). */
  prompt: TextCount;
  /** The negative prompt's count, as for `prompt`. */
  negativePrompt: TextCount;
  /** What the user has left, as the form says it ("0.97 s of 3 s left this period", the price and balance). */
  allowance: string;
  /** The length field: its bounds, the frames it becomes, and what it says. */
  length: {
    /** What the length field accepts, in seconds to a tenth: the same bounds the browser checks. */
    range: {
      /** The shortest, in seconds. */
      min: number;
      /** The longest, in seconds. */
      max: number;
    };
    /** The frames the request asks for (the nearest the model takes). */
    frames: number;
    /** Those frames as seconds. */
    requestedSeconds: number;
    /** Why the typed length cannot be used; null when it can. */
    problem: string | null;
    /** What the length field says beside it: the problem, or "31 frames at 30 fps = 1.03 s". */
    text: string;
    /** "From 0.2 to 5.4 s, in steps of 0.1 s." */
    rangeText: string;
  };
  /** The allowance check (see `checkQuota`). */
  quota: QuotaCheck;
  /** The chosen model's price under credits billing; null otherwise. */
  price: number | null;
  /** Every reason the form will not submit, the most pressing first; empty when it can. */
  blockers: Blocker[];
  /** The request to send (without `image`, which is uploaded first). */
  request: GenerateRequest;
}

/** A number field's value, or `fallback` when it is empty or not a number. */
export function numberOr(value: string, fallback: number): number {
  const parsed = Number(value);
  return value.trim() === "" || !Number.isFinite(parsed) ? fallback : parsed;
}

/** Bytes for people, in MB to one decimal (the scale of a photo). */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Counts for people: 2,000. Locale-independent, so server and browser render the same. */
function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "1 character", "12 characters". */
function characters(count: number): string {
  return `${formatCount(count)} ${count === 1 ? "character" : "characters"}`;
}

/**
 * Why a typed length cannot be used, in the words of the length field: the browser checks the same
 * `min`, `max` and `step` (0.1), so the form and the browser never disagree.
 */
function lengthProblem(typed: string, range: { min: number; max: number }, limits: ModelLimits): string | null {
  const value = Number(typed);
  if (typed.trim() === "" || !Number.isFinite(value)) return `Enter a length from ${range.min} to ${range.max} s.`;
  const { lowest, highest } = frameBounds(limits);
  if (value < range.min - 1e-9)
    return `The shortest video is ${range.min} s (${lowest} frames). Enter ${range.min} or more.`;
  if (value > range.max + 1e-9)
    return `The longest video is ${range.max} s (${highest} frames). Enter ${range.max} or less.`;
  if (Math.abs(value * 10 - Math.round(value * 10)) > 1e-6) return "Use at most one decimal, e.g. 1.5 s.";
  return null;
}

/**
 * The form's rules, in one pure function: the chosen model and its limits, the frames the length
 * becomes, the prompt counters, the allowance check (the server's own rule, see `checkQuota`), and
 * every reason not to submit yet with a sentence that says what to do — shown before the server
 * (or the browser) refuses.
 */
export function planGeneration(fields: GenerateFields, context: PlanContext): GeneratePlan {
  const { models, usage } = context;
  const model = models?.find((candidate) => candidate.id === fields.modelId) ?? models?.[0] ?? null;
  const limits = model?.limits ?? mochiModelLimits;
  const imageMode = model?.image ?? "none";
  const range = secondsRange(limits);
  const problem = lengthProblem(fields.seconds, range, limits);
  const frames = framesForSeconds(limits, numberOr(fields.seconds, range.min));
  const requestedSeconds = durationSeconds(frames, limits.fps);
  const price = usage?.credits ? (model?.cost.credits ?? null) : null;
  const quota = checkQuota(usage, model?.cost.credits ?? null, requestedSeconds);
  const max = limits.promptMaxLength;
  const prompt = fields.prompt.trim();
  const negativePrompt = fields.negativePrompt.trim();

  const blockers: Blocker[] = [];
  const credits = usage?.credits ?? null;
  if (quota.tooFewCredits && credits && price !== null) {
    const cheaper = models?.some((option) => option.cost.credits <= credits.balance);
    blockers.push({
      reason: "credits",
      message:
        `Not enough credits: this video costs ${formatCredits(price)} and you have ${credits.balance}. ` +
        (cheaper ? "Add credits or choose a cheaper model." : "Add credits to continue."),
    });
  }
  if (!problem && quota.overQuota && quota.remainingSeconds !== null) {
    blockers.push({
      reason: "over-quota",
      message: `This length needs ${formatSeconds(requestedSeconds)}, more than the ${formatSeconds(quota.remainingSeconds)} left. Choose a shorter video.`,
    });
  }
  if (imageMode === "required" && context.imageBytes === null) {
    blockers.push({
      reason: "image-needed",
      message: `Choose an image: ${model?.name ?? "this model"} needs one to start from.`,
    });
  }
  if (imageMode !== "none" && context.imageBytes !== null && context.imageBytes > context.maxImageBytes) {
    blockers.push({
      reason: "image-too-large",
      message: `This image is ${formatMegabytes(context.imageBytes)}; the limit is ${formatMegabytes(context.maxImageBytes)}. Choose a smaller image.`,
    });
  }
  if (problem) blockers.push({ reason: "length", message: problem });
  if (fields.prompt.length > max) {
    blockers.push({
      reason: "prompt-too-long",
      message: `The prompt is ${characters(fields.prompt.length - max)} over the ${formatCount(max)}-character limit. Shorten it to generate.`,
    });
  }
  if (fields.negativePrompt.length > max) {
    blockers.push({
      reason: "negative-too-long",
      message: `The negative prompt is ${characters(fields.negativePrompt.length - max)} over the ${formatCount(max)}-character limit.`,
    });
  }
  if (prompt === "") blockers.push({ reason: "prompt-empty", message: "Write a prompt to generate a video." });

  const request: GenerateRequest = {
    prompt,
    frames,
    width: numberOr(fields.width ?? "", limits.width.default),
    height: numberOr(fields.height ?? "", limits.height.default),
    steps: numberOr(fields.steps ?? "", limits.steps.default),
    cfg: numberOr(fields.cfg ?? "", limits.cfg.default),
    ...(model && { model: model.id }),
    ...(fields.enhancePrompt && { enhancePrompt: true }),
    ...(negativePrompt !== "" && { negativePrompt }),
    ...(fields.seed.trim() !== "" && { seed: numberOr(fields.seed, 0) }),
  };

  return {
    model,
    limits,
    imageMode,
    prompt: textCount(fields.prompt, max),
    negativePrompt: textCount(fields.negativePrompt, max),
    allowance: allowanceText(usage, price),
    length: {
      range,
      frames,
      requestedSeconds,
      problem,
      text: problem ?? `${frames} frames at ${limits.fps} fps = ${formatSeconds(requestedSeconds)}`,
      rangeText: `From ${range.min} to ${range.max} s, in steps of 0.1 s.`,
    },
    quota,
    price,
    blockers,
    request,
  };
}

/** What can make an error stale, seen when it happened and now. */
export interface ErrorCauses {
  /** Videos of the user still queued or processing. */
  activeVideos: number;
  /** The user's usage as last known. */
  usage: Usage | null;
  /** How many times the live updates came back after a drop (or the browser came back online). */
  reconnects: number;
}

/**
 * Whether a refused request's error still describes the world: "3 videos queued" stops being true
 * once one finishes, "not enough seconds" once usage changes, "could not reach the server" once the
 * connection is back. The form hides an error that no longer applies.
 */
export function errorStillApplies(error: OpenVClientError, then: ErrorCauses, now: ErrorCauses): boolean {
  switch (error.code) {
    case "too_many_active_jobs":
      return now.activeVideos >= then.activeVideos;
    case "quota_exceeded":
      return (now.usage?.remainingSeconds ?? 0) <= (then.usage?.remainingSeconds ?? 0);
    case "insufficient_credits":
      return (now.usage?.credits?.balance ?? 0) <= (then.usage?.credits?.balance ?? 0);
    case "network_error":
    case "timeout":
      return now.reconnects === then.reconnects;
    default:
      return true;
  }
}
