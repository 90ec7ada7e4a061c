import type { GenerateRequest } from "@openv/protocol";
import type { GenerateResult, OpenVClientError } from "@openv/sdk";
import {
  describeError,
  type ErrorCauses,
  errorStillApplies,
  type GenerateFields,
  initialFields,
  planGeneration,
} from "@openv/sdk/store";
import { type ChangeEvent, type FormEvent, type ReactNode, useCallback, useId, useRef, useState } from "react";
import { useConnection } from "../hooks/use-connection.js";
import { useGenerate } from "../hooks/use-generate.js";
import { useModels } from "../hooks/use-models.js";
import { useUsage } from "../hooks/use-usage.js";
import { useActiveVideoCount } from "../hooks/use-videos.js";
import { AdvancedSettings } from "./advanced-settings.js";
import { AllowanceNotice } from "./allowance-notice.js";
import { ImageField, ModelPicker } from "./form-fields.js";
import { LengthField } from "./length-field.js";
import { PromptField } from "./prompt-field.js";
import { maxImageBytes, useInputImage } from "./use-input-image.js";

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

/** The ids of the elements that say why the form will not submit, by reason. */
const blockerElement: Record<string, string> = {
  credits: "credits",
  "over-quota": "over-quota",
  "image-needed": "image-needed",
  "image-too-large": "image-hint",
  length: "frames",
  "prompt-too-long": "prompt-count",
  "negative-too-long": "negative-count",
  "prompt-empty": "submit-hint",
};

/**
 * The form that requests a video: a model picker when the server offers more than one model, the
 * prompt (with a character counter), negative prompt, an input image for models that take one
 * (uploaded as soon as it is picked, with a preview), length in seconds (turned into the nearest
 * frame count the model accepts, shown next to it), an "Enhance prompt" checkbox, and advanced
 * settings (size, steps, CFG, seed) in a `<details>`, all within the chosen model's limits. Every
 * reason it will not submit is said before it bites (an empty or too long prompt, a length out of
 * range, too few credits or seconds, a missing image), and the submit button is described by the
 * first. Refused requests show the SDK's typed error as a sentence, which goes away once its cause
 * does (a queued video finishes, usage changes, the connection comes back).
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
  const [fields, setFields] = useState<GenerateFields>(() => initialFields(defaultSeconds));
  const change = useCallback(
    (patch: Partial<GenerateFields>) => setFields((previous) => ({ ...previous, ...patch })),
    [],
  );
  const { usage } = useUsage();
  const { models } = useModels();
  const image = useInputImage();
  const connection = useConnection();
  const activeVideos = useActiveVideoCount();
  const causes: ErrorCauses = { activeVideos, usage, reconnects: connection.reconnects };
  // What the world looked like when the latest request failed, to tell when its error went stale.
  const latestCauses = useRef(causes);
  latestCauses.current = causes;
  const causesAtFailure = useRef<ErrorCauses>(causes);
  const onError = useCallback((_error: OpenVClientError) => {
    causesAtFailure.current = latestCauses.current;
  }, []);
  const generate = useGenerate({ onError });

  const plan = planGeneration(
    { ...fields, enhancePrompt: showEnhancePrompt && fields.enhancePrompt },
    { models, usage, imageBytes: image.file?.size ?? null, maxImageBytes },
  );
  const blocked = plan.blockers[0] ?? null;
  const busy = generate.isPending || image.upload.isPending;
  const error =
    generate.error && errorStillApplies(generate.error, causesAtFailure.current, causes) ? generate.error : null;

  const onPickModel = (event: ChangeEvent<HTMLSelectElement>) =>
    change({ modelId: event.target.value, width: null, height: null, steps: null, cfg: null });

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy || blocked) return;
    let request: GenerateRequest = plan.request;
    if (plan.imageMode !== "none" && image.file) {
      // A failed upload is tried again here; its error stays on screen if it fails again.
      const stored = await image.store(image.file);
      if (!stored) return;
      request = { ...request, image: stored.id };
    }
    const result = await generate.mutateAsync(request).catch(() => null);
    if (result) {
      change({ prompt: "" });
      onGenerated?.(result);
    }
  };

  return (
    <form
      className={className ? `openv-form ${className}` : "openv-form"}
      aria-label="Generate a video"
      aria-busy={busy}
      onSubmit={onSubmit}
    >
      {models && models.length > 1 && plan.model && (
        <ModelPicker
          id={id}
          models={models}
          model={plan.model}
          showPrices={usage?.credits != null}
          onPick={onPickModel}
        />
      )}
      <PromptField
        id={`${id}-prompt`}
        label="Prompt"
        className="openv-prompt"
        name="prompt"
        required
        rows={3}
        placeholder="A red fox running through fresh snow, cinematic"
        value={fields.prompt}
        count={plan.prompt}
        onChange={(prompt) => change({ prompt })}
      />
      {showEnhancePrompt && (
        <div className="openv-field openv-checkbox-field">
          <input
            id={`${id}-enhance`}
            className="openv-enhance"
            name="enhancePrompt"
            type="checkbox"
            checked={fields.enhancePrompt}
            aria-describedby={`${id}-enhance-hint`}
            onChange={(event) => change({ enhancePrompt: event.target.checked })}
          />
          <label htmlFor={`${id}-enhance`}>Enhance prompt</label>
          <p id={`${id}-enhance-hint`} className="openv-hint">
            The server adds detail (camera, light, motion) before rendering; your prompt is kept as typed.
          </p>
        </div>
      )}
      <PromptField
        id={`${id}-negative`}
        label="Negative prompt"
        className="openv-negative-prompt"
        name="negativePrompt"
        rows={2}
        placeholder="Optional: what to avoid, e.g. blurry, text"
        value={fields.negativePrompt}
        count={plan.negativePrompt}
        onChange={(negativePrompt) => change({ negativePrompt })}
      />
      {plan.imageMode !== "none" && (
        <ImageField
          id={id}
          inputRef={image.inputRef}
          required={plan.imageMode === "required"}
          file={image.file}
          previewUrl={image.previewUrl}
          uploading={image.upload.isPending}
          uploaded={image.uploaded}
          problem={
            plan.blockers.find((candidate) => candidate.reason === "image-too-large")?.message ??
            (image.upload.error ? `The image could not be uploaded: ${describeError(image.upload.error)}` : null)
          }
          missing={plan.blockers.find((candidate) => candidate.reason === "image-needed")?.message ?? null}
          onPick={image.onPick}
          onRemove={image.remove}
        />
      )}
      <LengthField id={id} value={fields.seconds} length={plan.length} onChange={(seconds) => change({ seconds })} />
      <AdvancedSettings id={id} fields={fields} limits={plan.limits} onChange={change} />
      <AllowanceNotice id={id} credits={usage?.credits != null} plan={plan} />
      {error && (
        <p className="openv-form-error" role="alert" data-code={error.code}>
          {describeError(error)}
        </p>
      )}
      {blocked?.reason === "prompt-empty" && (
        <p className="openv-submit-hint openv-hint" id={`${id}-submit-hint`}>
          {blocked.message}
        </p>
      )}
      <button
        type="submit"
        className="openv-submit"
        disabled={busy || blocked !== null}
        aria-describedby={blocked ? `${id}-${blockerElement[blocked.reason]}` : undefined}
      >
        {submitLabel}
      </button>
    </form>
  );
}
