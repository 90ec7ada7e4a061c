import { mochiLimits } from "@openv/protocol";
import type { PromptEnhancer } from "../../core/ports.js";

/** One phrase the template enhancer may add, and the words that show a prompt already covers it. */
export interface PromptCue {
  /** The phrase added after the user's prompt, e.g. `"smooth, slow camera movement"`. */
  text: string;
  /**
   * Words or phrases (whole words, any case) whose presence in the prompt means it already says
   * this: the cue is then left out. The cue's own `text` always counts, so enhancing twice adds nothing.
   */
  coveredBy: string[];
}

/** Settings of `createTemplateEnhancer`. */
export interface TemplateEnhancerOptions {
  /** Cues for text-to-video prompts, in the order they are added. Default: {@link textToVideoCues}. */
  textCues?: PromptCue[];
  /** Cues for image-to-video prompts, in the order they are added. Default: {@link imageToVideoCues}. */
  imageCues?: PromptCue[];
  /**
   * Writes the enhanced prompt yourself. It gets the request and the texts of the cues the prompt
   * does not cover yet, and returns the whole prompt. The result is still trimmed, made to begin
   * with the user's prompt (put in front when the template left it out) and cut to `maxLength`.
   * Default: the user's prompt, then the uncovered cues joined by commas.
   * @example
   * ```ts
   * createTemplateEnhancer({ template: ({ prompt }, cues) => `${prompt}. ${cues.join("; ")}` });
   * ```
   */
  template?: (request: Parameters<PromptEnhancer["enhance"]>[0], cues: string[]) => string;
  /** The longest enhanced prompt, in characters. Default: 2000 (the contract's prompt limit). */
  maxLength?: number;
}

const cameraWords = [
  "camera",
  "shot",
  "pan",
  "panning",
  "dolly",
  "tracking",
  "zoom",
  "close-up",
  "closeup",
  "aerial",
  "drone",
  "handheld",
  "crane",
  "orbit",
  "pov",
  "wide-angle",
];
const motionWords = ["motion", "moving", "movement", "slow-motion", "timelapse", "time-lapse"];
const lightingWords = [
  "lighting",
  "lit",
  "lights",
  "glow",
  "glowing",
  "sunlight",
  "moonlight",
  "candlelight",
  "backlit",
  "sunset",
  "sunrise",
  "golden hour",
  "neon",
];

/** The default cues for a text-to-video prompt: camera, motion, lighting and style. */
export const textToVideoCues: readonly PromptCue[] = [
  { text: "cinematic shot with a smooth, slow camera movement", coveredBy: cameraWords },
  { text: "natural, fluid motion", coveredBy: motionWords },
  { text: "soft, natural lighting", coveredBy: lightingWords },
  {
    text: "photorealistic style, highly detailed",
    coveredBy: [
      "style",
      "photorealistic",
      "realistic",
      "anime",
      "cartoon",
      "animated",
      "animation",
      "painting",
      "painted",
      "watercolor",
      "watercolour",
      "illustration",
      "sketch",
      "3d",
      "render",
      "pixel art",
      "claymation",
    ],
  },
];

/**
 * The default cues for an image-to-video prompt: they ask to animate the given image as it is
 * (subject, composition, colours) rather than describe a new scene.
 */
export const imageToVideoCues: readonly PromptCue[] = [
  {
    text: "animate the input image, keeping its subject, composition, colours and style unchanged",
    coveredBy: ["animate", "animating", "bring to life", "brings to life", "come to life", "comes to life"],
  },
  { text: "subtle, natural motion", coveredBy: motionWords },
  { text: "a gentle, steady camera", coveredBy: cameraWords },
  { text: "lighting consistent with the image", coveredBy: lightingWords },
];

/**
 * A prompt enhancer that needs no network or account: it adds camera, motion, lighting and style
 * cues to a short prompt (for image-to-video, cues that animate the given image) and leaves out
 * those the prompt already mentions. The user's prompt always comes first, word for word; cues that
 * would push the prompt past `maxLength` are left out whole. The same input always gives the same
 * output, and enhancing an enhanced prompt returns it unchanged.
 * @example
 * ```ts
 * const enhancer = createTemplateEnhancer();
 * await enhancer.enhance({ prompt: "a fox in the snow", model: "mochi-1", hasImage: false });
 * // "a fox in the snow. Cinematic shot with a smooth, slow camera movement, natural, fluid motion, …"
 * ```
 */
export function createTemplateEnhancer(options: TemplateEnhancerOptions = {}): PromptEnhancer {
  const maxLength = options.maxLength ?? mochiLimits.promptMaxLength;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new Error(`createTemplateEnhancer: maxLength must be a positive integer (got ${maxLength}).`);
  }
  const textCues = options.textCues ?? textToVideoCues;
  const imageCues = options.imageCues ?? imageToVideoCues;

  return {
    name: "template",
    async enhance(request) {
      const prompt = request.prompt.trim();
      const cues = (request.hasImage ? imageCues : textCues)
        .filter((cue) => !isCovered(prompt, cue))
        .map((cue) => cue.text.trim())
        .filter((text) => text !== "");
      if (options.template) {
        const written = options.template({ ...request, prompt }, cues).trim();
        return truncateOnWordBoundary(
          written.startsWith(prompt) ? written : appendSentence(prompt, written),
          maxLength,
        );
      }
      if (prompt.length >= maxLength) return truncateOnWordBoundary(prompt, maxLength);
      // Add whole cues while they fit; cutting one in half would make a second pass add it again.
      const chosen: string[] = [];
      let result = prompt;
      for (const cue of cues) {
        const candidate = appendSentence(prompt, [...chosen, cue].join(", "));
        if (candidate.length > maxLength) continue;
        chosen.push(cue);
        result = candidate;
      }
      return result;
    },
  };
}

/** Whether the prompt already says what `cue` would add. */
function isCovered(prompt: string, cue: PromptCue): boolean {
  const lower = prompt.toLowerCase();
  if (cue.text.trim() !== "" && lower.includes(cue.text.trim().toLowerCase())) return true;
  return cue.coveredBy.some((word) => word.trim() !== "" && wholeWord(word.trim()).test(prompt));
}

function wholeWord(word: string): RegExp {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "iu");
}

/** `prompt` followed by `addition` as a new sentence (capitalised); `addition` alone when there is no prompt. */
function appendSentence(prompt: string, addition: string): string {
  if (addition === "") return prompt;
  const sentence = addition.charAt(0).toUpperCase() + addition.slice(1);
  const ended = /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
  if (prompt === "") return ended;
  return /[.!?…]$/.test(prompt) ? `${prompt} ${ended}` : `${prompt}. ${ended}`;
}

/**
 * `text` cut to at most `maxLength` characters at the last whitespace, without a dangling comma;
 * a single word longer than that is cut at `maxLength` (never inside a surrogate pair).
 */
export function truncateOnWordBoundary(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let cut = text.slice(0, maxLength);
  if (!/\s/.test(text.charAt(maxLength))) {
    const lastSpace = cut.search(/\s\S*$/);
    if (lastSpace > 0) cut = cut.slice(0, lastSpace);
    else if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  }
  return cut.replace(/[\s,;:–—-]+$/u, "");
}
