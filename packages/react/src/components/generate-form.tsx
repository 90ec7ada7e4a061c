import {
  durationSeconds,
  type GenerateRequest,
  type Model,
  mochiLimits,
  mochiModelLimits,
  type Upload,
} from "@openv/protocol";
import type { GenerateResult } from "@openv/sdk";
import { type ChangeEvent, type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { errorMessage } from "../_internal/error-message.js";
import { formatCredits, formatSeconds } from "../_internal/format.js";
import { framesForSeconds, secondsRange } from "../_internal/model-limits.js";
import { useGenerate } from "../hooks/use-generate.js";
import { useModels } from "../hooks/use-models.js";
import { useUploadImage } from "../hooks/use-upload-image.js";
import { useUsage } from "../hooks/use-usage.js";
import { ImageField, ModelPicker } from "./form-fields.js";
import { checkQuota } from "./quota.js";

/** Props of {@link GenerateForm}. */
export interface GenerateFormProps {
  /** Added to the form's class (`openv-form`). */
  className?: string;
  /** The length field's first value, in seconds. Default 1 (31 frames for Mochi). */
  defaultSeconds?: number;
  /** The submit button's text. Default "Generate video". */
  submitLabel?: ReactNode;
  /** Show the "Enhance prompt" checkbox (the server rewrites the prompt before rendering). Default true. */
  showEnhancePrompt?: boolean;
  /** Called after the server accepted a request. */
  onGenerated?: (result: GenerateResult) => void;
}

/** The largest input image the server takes (`POST /uploads`). */
const maxImageBytes = 10 * 1024 * 1024;

/** A number field's value, or `fallback` when it is empty or not a number. */
function numberOr(value: string, fallback: number): number {
  const parsed = Number(value);
  return value.trim() === "" || !Number.isFinite(parsed) ? fallback : parsed;
}

/** Bytes for people, in MB to one decimal (the scale of a photo). */
function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** An object URL of the picked file for its preview, revoked when the file changes or the form unmounts. */
function usePreviewUrl(file: File | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file || typeof URL.createObjectURL !== "function") {
      setUrl(null);
      return;
    }
    const created = URL.createObjectURL(file);
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [file]);
  return url;
}

/**
 * The form that requests a video: a model picker when the server offers more than one model, the
 * prompt, negative prompt, an input image for models that take one (uploaded as soon as it is
 * picked, with a preview), length in seconds (turned into the nearest frame count the model
 * accepts, shown next to it), an "Enhance prompt" checkbox, and advanced settings (size, steps,
 * CFG, seed) in a `<details>`, all within the chosen model's limits. Under credits billing it shows
 * the price and the balance and disables submitting when the balance is too low; under the seconds
 * policy it shows the seconds left and disables submitting while the chosen length is more than
 * that. Refused requests show the SDK's typed error as a sentence. Native constraint validation
 * checks the ranges.
 *
 * @example
 * ```tsx
 * <GenerateForm defaultSeconds={2} onGenerated={({ video }) => console.log("queued", video.id)} />
 * ```
 */
export function GenerateForm({
  className,
  defaultSeconds = 1,
  submitLabel = "Generate video",
  showEnhancePrompt = true,
  onGenerated,
}: GenerateFormProps): ReactNode {
  const id = useId();
  const { generate, pending, error } = useGenerate();
  const { usage } = useUsage();
  const { models } = useModels();
  const upload = useUploadImage();
  const [modelId, setModelId] = useState<string | null>(null);
  const [prompt, setPrompt] = useState("");
  const [negativePrompt, setNegativePrompt] = useState("");
  const [seconds, setSeconds] = useState(String(defaultSeconds));
  // null: the chosen model's default, so a model picked (or loaded) later brings its own.
  const [width, setWidth] = useState<string | null>(null);
  const [height, setHeight] = useState<string | null>(null);
  const [steps, setSteps] = useState<string | null>(null);
  const [cfg, setCfg] = useState<string | null>(null);
  const [seed, setSeed] = useState("");
  const [enhancePrompt, setEnhancePrompt] = useState(false);
  const [imageFile, setImageFile] = useState<File | null>(null);
  const [uploaded, setUploaded] = useState<{ file: File; upload: Upload } | null>(null);
  const imageInput = useRef<HTMLInputElement>(null);
  const currentFile = useRef<File | null>(null);
  const previewUrl = usePreviewUrl(imageFile);

  // Without a catalog (still loading, or a server that has none) the form offers Mochi's limits
  // and names no model, so the server picks its default.
  const model: Model | null = models?.find((candidate) => candidate.id === modelId) ?? models?.[0] ?? null;
  const limits = model?.limits ?? mochiModelLimits;
  const imageMode = model?.image ?? "none";
  const lengthRange = secondsRange(limits);
  const frames = framesForSeconds(limits, numberOr(seconds, defaultSeconds));
  const requestedSeconds = durationSeconds(frames, limits.fps);

  const credits = usage?.credits ?? null;
  const price = model?.cost.credits ?? null;
  const { tooFewCredits, overQuota, remainingSeconds } = checkQuota(usage, price, requestedSeconds);

  const imageTooLarge = imageFile !== null && imageFile.size > maxImageBytes;
  const imageNeeded = imageMode !== "none";
  const missingImage = imageMode === "required" && imageFile === null;
  const blockedBy = tooFewCredits
    ? `${id}-credits`
    : overQuota
      ? `${id}-over`
      : missingImage
        ? `${id}-image-needed`
        : null;
  const canSubmit =
    !pending && !upload.pending && !blockedBy && !(imageNeeded && imageTooLarge) && prompt.trim() !== "";

  /** Uploads `file` unless it is the one already uploaded; resolves with its upload, or null (error shown). */
  const uploadFile = async (file: File): Promise<Upload | null> => {
    if (uploaded?.file === file) return uploaded.upload;
    const result = await upload.uploadImage(file);
    if (result && currentFile.current === file) setUploaded({ file, upload: result });
    return result;
  };

  const onPickImage = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0] ?? null;
    currentFile.current = file;
    setImageFile(file);
    setUploaded(null);
    upload.reset();
    // Uploaded as soon as it is picked, so a problem shows before the prompt is written.
    if (file && file.size <= maxImageBytes) void uploadFile(file);
  };

  const removeImage = () => {
    currentFile.current = null;
    setImageFile(null);
    setUploaded(null);
    upload.reset();
    if (imageInput.current) imageInput.current.value = "";
  };

  const onPickModel = (event: ChangeEvent<HTMLSelectElement>) => {
    setModelId(event.target.value);
    setWidth(null);
    setHeight(null);
    setSteps(null);
    setCfg(null);
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!canSubmit) return;
    let image: string | undefined;
    if (imageNeeded && imageFile) {
      // A failed upload is tried again here; its error stays on screen if it fails again.
      const stored = await uploadFile(imageFile);
      if (!stored) return;
      image = stored.id;
    }
    const input: GenerateRequest = {
      prompt: prompt.trim(),
      frames,
      width: numberOr(width ?? "", limits.width.default),
      height: numberOr(height ?? "", limits.height.default),
      steps: numberOr(steps ?? "", limits.steps.default),
      cfg: numberOr(cfg ?? "", limits.cfg.default),
      ...(model && { model: model.id }),
      ...(image !== undefined && { image }),
      ...(showEnhancePrompt && enhancePrompt && { enhancePrompt: true }),
      ...(negativePrompt.trim() !== "" && { negativePrompt: negativePrompt.trim() }),
      ...(seed.trim() !== "" && { seed: numberOr(seed, 0) }),
    };
    const result = await generate(input);
    if (result) {
      setPrompt("");
      onGenerated?.(result);
    }
  };

  const uploadProblem = imageTooLarge
    ? `This image is ${formatMegabytes(imageFile.size)}; the limit is ${formatMegabytes(maxImageBytes)}. Choose a smaller image.`
    : upload.error
      ? `The image could not be uploaded: ${errorMessage(upload.error)}`
      : null;

  return (
    <form
      className={className ? `openv-form ${className}` : "openv-form"}
      aria-label="Generate a video"
      aria-busy={pending || upload.pending}
      onSubmit={onSubmit}
    >
      {models && models.length > 1 && model && (
        <ModelPicker id={id} models={models} model={model} showPrices={credits !== null} onPick={onPickModel} />
      )}
      <div className="openv-field">
        <label htmlFor={`${id}-prompt`}>Prompt</label>
        <textarea
          id={`${id}-prompt`}
          className="openv-prompt"
          name="prompt"
          required
          rows={3}
          maxLength={limits.promptMaxLength}
          placeholder="A red fox running through fresh snow, cinematic"
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
        />
      </div>
      {showEnhancePrompt && (
        <div className="openv-field openv-checkbox-field">
          <input
            id={`${id}-enhance`}
            className="openv-enhance"
            name="enhancePrompt"
            type="checkbox"
            checked={enhancePrompt}
            aria-describedby={`${id}-enhance-hint`}
            onChange={(event) => setEnhancePrompt(event.target.checked)}
          />
          <label htmlFor={`${id}-enhance`}>Enhance prompt</label>
          <p id={`${id}-enhance-hint`} className="openv-hint">
            The server adds detail (camera, light, motion) before rendering; your prompt is kept as typed.
          </p>
        </div>
      )}
      <div className="openv-field">
        <label htmlFor={`${id}-negative`}>Negative prompt</label>
        <textarea
          id={`${id}-negative`}
          className="openv-negative-prompt"
          name="negativePrompt"
          rows={2}
          maxLength={limits.promptMaxLength}
          placeholder="Optional: what to avoid, e.g. blurry, text"
          value={negativePrompt}
          onChange={(event) => setNegativePrompt(event.target.value)}
        />
      </div>
      {imageNeeded && (
        <ImageField
          id={id}
          inputRef={imageInput}
          required={imageMode === "required"}
          modelName={model?.name ?? "this model"}
          file={imageFile}
          previewUrl={previewUrl ?? uploaded?.upload.url ?? null}
          uploading={upload.isPending}
          uploaded={uploaded && uploaded.file === imageFile ? uploaded.upload : null}
          problem={uploadProblem}
          missing={missingImage}
          onPick={onPickImage}
          onRemove={removeImage}
        />
      )}
      <div className="openv-field">
        <label htmlFor={`${id}-seconds`}>Length (seconds)</label>
        <input
          id={`${id}-seconds`}
          className="openv-length"
          name="seconds"
          type="number"
          min={lengthRange.min}
          max={lengthRange.max}
          step={0.1}
          required
          aria-describedby={`${id}-frames`}
          value={seconds}
          onChange={(event) => setSeconds(event.target.value)}
        />
        <output id={`${id}-frames`} className="openv-frames" htmlFor={`${id}-seconds`}>
          {frames} frames at {limits.fps} fps = {formatSeconds(requestedSeconds)}
        </output>
      </div>
      <details className="openv-advanced">
        <summary>Advanced settings</summary>
        <div className="openv-advanced-fields">
          <div className="openv-field">
            <label htmlFor={`${id}-width`}>Width (px)</label>
            <input
              id={`${id}-width`}
              name="width"
              type="number"
              min={limits.width.min}
              max={limits.width.max}
              step={limits.width.multipleOf}
              value={width ?? String(limits.width.default)}
              onChange={(event) => setWidth(event.target.value)}
            />
          </div>
          <div className="openv-field">
            <label htmlFor={`${id}-height`}>Height (px)</label>
            <input
              id={`${id}-height`}
              name="height"
              type="number"
              min={limits.height.min}
              max={limits.height.max}
              step={limits.height.multipleOf}
              value={height ?? String(limits.height.default)}
              onChange={(event) => setHeight(event.target.value)}
            />
          </div>
          <div className="openv-field">
            <label htmlFor={`${id}-steps`}>Inference steps</label>
            <input
              id={`${id}-steps`}
              name="steps"
              type="number"
              min={limits.steps.min}
              max={limits.steps.max}
              step={1}
              value={steps ?? String(limits.steps.default)}
              onChange={(event) => setSteps(event.target.value)}
            />
          </div>
          <div className="openv-field">
            <label htmlFor={`${id}-cfg`}>Guidance (CFG)</label>
            <input
              id={`${id}-cfg`}
              name="cfg"
              type="number"
              min={limits.cfg.min}
              max={limits.cfg.max}
              step={0.1}
              value={cfg ?? String(limits.cfg.default)}
              onChange={(event) => setCfg(event.target.value)}
            />
          </div>
          <div className="openv-field">
            <label htmlFor={`${id}-seed`}>Seed</label>
            <input
              id={`${id}-seed`}
              name="seed"
              type="number"
              min={0}
              max={mochiLimits.seedMax}
              step={1}
              placeholder="Random"
              value={seed}
              onChange={(event) => setSeed(event.target.value)}
            />
          </div>
        </div>
      </details>
      {credits ? (
        <p className="openv-price" data-too-few-credits={tooFewCredits ? "" : undefined}>
          {price === null
            ? `You have ${formatCredits(credits.balance)}.`
            : `This video costs ${formatCredits(price)}; you have ${credits.balance}.`}
        </p>
      ) : (
        <p className="openv-quota" data-over-quota={overQuota ? "" : undefined}>
          {!usage
            ? "Checking your remaining video time…"
            : usage.limitSeconds === null || usage.remainingSeconds === null
              ? `${formatSeconds(usage.usedSeconds)} used this period`
              : `${formatSeconds(usage.remainingSeconds)} of ${formatSeconds(usage.limitSeconds)} left this period`}
        </p>
      )}
      {tooFewCredits && credits && price !== null && (
        <p className="openv-credits-warning" id={`${id}-credits`}>
          Not enough credits: this video costs {formatCredits(price)} and you have {credits.balance}.{" "}
          {models?.some((option) => option.cost.credits <= credits.balance)
            ? "Add credits or choose a cheaper model."
            : "Add credits to continue."}
        </p>
      )}
      {overQuota && remainingSeconds !== null && (
        <p className="openv-quota-warning" id={`${id}-over`}>
          This length needs {formatSeconds(requestedSeconds)}, more than the {formatSeconds(remainingSeconds)} left.
          Choose a shorter video.
        </p>
      )}
      {error && (
        <p className="openv-form-error" role="alert" data-code={error.code}>
          {errorMessage(error)}
        </p>
      )}
      <button type="submit" className="openv-submit" disabled={!canSubmit} aria-describedby={blockedBy ?? undefined}>
        {submitLabel}
      </button>
    </form>
  );
}
