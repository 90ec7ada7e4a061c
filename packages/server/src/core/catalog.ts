import {
  type GenerateRequest,
  type Model,
  ModelSchema,
  mochiLimits,
  mochiModelLimits,
  settingsFromRequest,
  type ValidationIssue,
  type VideoSettings,
} from "@openv/protocol";
import { z } from "zod";
import { OpenVError } from "./errors.js";

/** A catalog model as the server configures it: the public entry plus where it renders. */
export interface ModelDefinition extends Model {
  /** The provider registry key it renders on (`"default"`: the server's main provider). */
  provider: string;
  /** The provider's own name for the model (fal's endpoint id, Runway's `gen4_turbo`); default: `id`. */
  providerModel?: string | undefined;
}

/** The schema of a catalog entry in a models file (`OPENV_MODELS_FILE`). */
export const ModelDefinitionSchema = z.object({
  ...ModelSchema.shape,
  /** The provider registry key. */
  provider: z.string().min(1).default("default"),
  /** The provider's own model name. */
  providerModel: z.string().min(1).optional(),
});

/** Mochi 1 on the server's main provider (RunPod, or the local preview): the default catalog. */
export const mochiModel: ModelDefinition = {
  id: mochiLimits.model,
  name: "Mochi 1",
  description: "Genmo's open text-to-video model at 30 fps, rendered by worker-mochi.",
  image: "none",
  limits: mochiModelLimits,
  cost: { credits: 1 },
  provider: "default",
};

/** The settings of an admitted request and the model that renders them. */
export interface ResolvedRequest {
  /** The catalog model. */
  model: ModelDefinition;
  /** Every setting, the model's defaults filled in and checked against its limits. */
  settings: VideoSettings;
}

/** The models a server offers, their limits and prices. The first is the default. */
export class ModelCatalog {
  readonly #models: ModelDefinition[];

  constructor(models: readonly ModelDefinition[] = [mochiModel]) {
    const first = models[0];
    if (!first) throw new Error("The model catalog is empty: configure at least one model.");
    const ids = new Set<string>();
    for (const model of models) {
      if (ids.has(model.id))
        throw new Error(`The model catalog names "${model.id}" twice: give each model its own id.`);
      ids.add(model.id);
    }
    this.#models = [...models];
  }

  /** The models as `GET /api/models` lists them (without provider internals). */
  list(): Model[] {
    return this.#models.map(({ id, name, description, image, limits, cost }) => ({
      id,
      name,
      description,
      image,
      limits,
      cost,
    }));
  }

  /** The model with this id, or undefined. */
  get(id: string): ModelDefinition | undefined {
    return this.#models.find((model) => model.id === id);
  }

  /** The model a request without `model` renders on. */
  get defaultModel(): ModelDefinition {
    return this.#models[0] as ModelDefinition;
  }

  /**
   * The request's model and settings, the model's defaults filled in.
   *
   * @throws `OpenVError` `validation_failed` for an unknown model, a setting outside the model's
   * limits, or an image given to a text-only model (or missing for an image-to-video one).
   */
  resolve(request: GenerateRequest): ResolvedRequest {
    const model = this.get(request.model ?? this.defaultModel.id);
    if (!model) {
      throw invalid([
        {
          path: ["model"],
          code: "unknown_model",
          message: `Unknown model "${request.model}". Choose one of: ${this.#models.map((entry) => entry.id).join(", ")} (GET /api/models lists them).`,
        },
      ]);
    }
    const settings = settingsFromRequest(request, model);
    const issues = checkLimits(model, settings);
    if (model.image === "required" && request.image === undefined) {
      issues.push({
        path: ["image"],
        code: "image_required",
        message: `${model.name} animates an image: upload one with POST /api/uploads and pass its id as "image".`,
      });
    }
    if (model.image === "none" && request.image !== undefined) {
      issues.push({
        path: ["image"],
        code: "image_not_supported",
        message: `${model.name} renders from text only: leave out "image", or choose an image-to-video model (GET /api/models).`,
      });
    }
    if (issues.length > 0) throw invalid(issues);
    return { model, settings };
  }
}

/**
 * Adds to a body's schema issues the model-limit issues of its other fields, so one answer lists
 * every field to fix (a width the schema refuses and frames the model refuses). Fields the schema
 * already reported, or that are not numbers, are left to the schema.
 */
export function withModelLimitIssues(catalog: ModelCatalog, error: unknown, body: unknown): unknown {
  if (!(error instanceof OpenVError) || error.code !== "validation_failed") return error;
  if (!body || typeof body !== "object" || Array.isArray(body)) return error;
  const fields = body as Record<string, unknown>;
  const reported = (error.details?.issues as ValidationIssue[] | undefined) ?? [];
  const model = typeof fields.model === "string" ? catalog.get(fields.model) : catalog.defaultModel;
  if (!model) return error;
  const numbers = ["frames", "width", "height", "steps", "cfg"] as const;
  const given = numbers.filter(
    (field) =>
      typeof fields[field] === "number" &&
      !reported.some((issue) => issue.path.length === 1 && issue.path[0] === field),
  );
  if (given.length === 0) return error;
  const settings = settingsFromRequest({ prompt: "x" }, model);
  for (const field of given) settings[field] = fields[field] as number;
  const extra = checkLimits(model, settings).filter((issue) => given.includes(issue.path[0] as (typeof given)[number]));
  if (extra.length === 0) return error;
  return new OpenVError({
    code: "validation_failed",
    message: error.message,
    details: { ...error.details, issues: [...reported, ...extra] },
  });
}

function invalid(issues: ValidationIssue[]): OpenVError {
  return new OpenVError({
    code: "validation_failed",
    message: `The request does not fit the model: ${issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    details: { issues },
  });
}

/** Every setting outside the model's limits, as validation issues. */
function checkLimits(model: ModelDefinition, settings: VideoSettings): ValidationIssue[] {
  const { limits } = model;
  const issues: ValidationIssue[] = [];
  const range = (
    field: keyof VideoSettings,
    value: number,
    bounds: { min: number; max: number },
    extra?: { ok: boolean; message: string },
  ) => {
    if (value < bounds.min || value > bounds.max) {
      issues.push({
        path: [field],
        code: "out_of_range",
        message: `${model.name} takes ${field} from ${bounds.min} to ${bounds.max}; got ${value}.`,
      });
    } else if (extra && !extra.ok) {
      issues.push({ path: [field], code: "invalid_value", message: extra.message });
    }
  };
  if (settings.prompt.length > limits.promptMaxLength) {
    issues.push({
      path: ["prompt"],
      code: "too_long",
      message: `${model.name} takes prompts up to ${limits.promptMaxLength} characters.`,
    });
  }
  if (settings.negativePrompt !== null && settings.negativePrompt.length > limits.promptMaxLength) {
    issues.push({
      path: ["negativePrompt"],
      code: "too_long",
      message: `${model.name} takes negative prompts up to ${limits.promptMaxLength} characters.`,
    });
  }
  const { frames, width, height } = limits;
  range("frames", settings.frames, frames, {
    ok: (settings.frames - frames.min) % frames.step === 0,
    message: `${model.name} takes frames ${frames.min}, ${frames.min + frames.step}, ${frames.min + 2 * frames.step}, … ${frames.max} (steps of ${frames.step}).`,
  });
  range("width", settings.width, width, {
    ok: settings.width % width.multipleOf === 0,
    message: `width must be a multiple of ${width.multipleOf}`,
  });
  range("height", settings.height, height, {
    ok: settings.height % height.multipleOf === 0,
    message: `height must be a multiple of ${height.multipleOf}`,
  });
  range("steps", settings.steps, limits.steps);
  range("cfg", settings.cfg, limits.cfg);
  const budget = limits.computeBudget;
  if (budget && issues.length === 0) {
    const latentFrames = Math.floor((settings.frames - 1) / budget.temporalCompression) + 1;
    const tokens =
      latentFrames * Math.floor(settings.width / budget.patchPixels) * Math.floor(settings.height / budget.patchPixels);
    if (tokens > budget.maxVisualTokens) {
      issues.push({
        path: ["frames"],
        code: "compute_budget",
        message: `${model.name}'s compute budget is ${budget.maxVisualTokens.toLocaleString("en-US")} visual tokens (frames, width and height together); ${settings.width}×${settings.height} at ${settings.frames} frames is ${tokens.toLocaleString("en-US")}. Ask for fewer frames or a smaller size.`,
      });
    }
  }
  return issues;
}
