import type { Model, Upload } from "@openv/sdk";
import { formatCredits } from "@openv/sdk/store";
import type { ChangeEvent, ReactNode, RefObject } from "react";

/** The image types the server reads. */
export const imageTypes = "image/png,image/jpeg,image/webp";

/** Props of {@link ModelPicker}. */
interface ModelPickerProps {
  /** The form's id prefix. */
  id: string;
  models: readonly Model[];
  model: Model;
  /** Under credits billing each option names its price. */
  showPrices: boolean;
  onPick: (event: ChangeEvent<HTMLSelectElement>) => void;
}

/** The model `<select>` of `<GenerateForm>`, with the chosen model's description. */
export function ModelPicker({ id, models, model, showPrices, onPick }: ModelPickerProps): ReactNode {
  return (
    <div className="openv-field">
      <label htmlFor={`${id}-model`}>Model</label>
      <select
        id={`${id}-model`}
        className="openv-model"
        name="model"
        value={model.id}
        aria-describedby={`${id}-model-description`}
        onChange={onPick}
      >
        {models.map((option) => (
          <option key={option.id} value={option.id}>
            {showPrices ? `${option.name} (${formatCredits(option.cost.credits)})` : option.name}
          </option>
        ))}
      </select>
      <p id={`${id}-model-description`} className="openv-model-description">
        {model.description}
      </p>
    </div>
  );
}

/** Props of {@link ImageField}. */
interface ImageFieldProps {
  /** The form's id prefix. */
  id: string;
  inputRef: RefObject<HTMLInputElement | null>;
  /** The model needs an image (else it is optional). */
  required: boolean;
  file: File | null;
  previewUrl: string | null;
  uploading: boolean;
  /** The upload of the picked file, once stored. */
  uploaded: Upload | null;
  /** Why the picked file cannot be used, for people; null when it can. */
  problem: string | null;
  /** The model needs an image and none is picked: what to do, for people; null otherwise. */
  missing: string | null;
  onPick: (event: ChangeEvent<HTMLInputElement>) => void;
  onRemove: () => void;
}

/** The input image of `<GenerateForm>`: the file input, a preview, the upload's state. */
export function ImageField(props: ImageFieldProps): ReactNode {
  const { id, file, uploading, uploaded, problem } = props;
  return (
    <div className="openv-field openv-image-field">
      <label htmlFor={`${id}-image`}>{props.required ? "Input image" : "Input image (optional)"}</label>
      <input
        id={`${id}-image`}
        ref={props.inputRef}
        className="openv-image-input"
        name="image"
        type="file"
        accept={imageTypes}
        // Not `required`: the form itself holds the submit back and says why in its own words
        // (the hint and "Choose an image"); a native check would only repeat it.
        aria-describedby={`${id}-image-hint`}
        onChange={props.onPick}
      />
      <p id={`${id}-image-hint`} className="openv-hint">
        {props.required
          ? "This model animates an image: PNG, JPEG or WebP, up to 10 MB."
          : "Optional: an image to start from (PNG, JPEG or WebP, up to 10 MB)."}
      </p>
      {file && props.previewUrl && (
        <img className="openv-image-preview" src={props.previewUrl} alt={`Preview of ${file.name}`} />
      )}
      {uploading && (
        <p className="openv-upload-status" role="status">
          Uploading {file?.name ?? "the image"}…
        </p>
      )}
      {!uploading && uploaded && (
        <p className="openv-upload-status" role="status">
          Uploaded ({uploaded.width}×{uploaded.height})
        </p>
      )}
      {problem && (
        <p className="openv-upload-error" role="alert">
          {problem}
        </p>
      )}
      {props.missing && (
        <p className="openv-image-needed" id={`${id}-image-needed`}>
          {props.missing}
        </p>
      )}
      {file && (
        <button type="button" className="openv-image-remove" onClick={props.onRemove}>
          Remove image
        </button>
      )}
    </div>
  );
}
