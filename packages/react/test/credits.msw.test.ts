// @vitest-environment jsdom
// Models, credits, input images and enhanced prompts in the hooks and components, against a fake
// server (msw) that answers exactly what each test needs: a price, a balance, a failed upload.
import type { GenerateRequest } from "@openv/protocol";
import { act, cleanup, render, renderHook, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { createElement, type ReactNode } from "react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  GenerateForm,
  type GenerateFormProps,
  OpenVProvider,
  useCredits,
  useGenerate,
  useModels,
  useVideos,
  VideoCard,
  VideoGallery,
} from "../src/index.js";
import "./support/render.js";
import { creditsUsage, FakeApi, model, secondsUsage, video } from "./support/fake-api.js";

let api: FakeApi;
const network = new FakeApi().network;

beforeAll(() => {
  network.listen({ onUnhandledRequest: "error" });
  // jsdom has no object URLs; the form previews a picked image with one.
  URL.createObjectURL = vi.fn((file: Blob) => `blob:preview/${(file as File).name}`);
  URL.revokeObjectURL = vi.fn();
});
beforeEach(() => {
  api = new FakeApi();
  network.resetHandlers(...api.network.listHandlers());
});
afterEach(cleanup);
afterAll(() => network.close());

/** A provider with a client of the fake server; its watcher polls (msw and SSE do not mix). */
const provider =
  () =>
  ({ children }: { children: ReactNode }) =>
    createElement(OpenVProvider, { client: api.client(), watch: { mode: "polling", pollIntervalMs: 30 } }, children);

const renderForm = (props: GenerateFormProps = {}, ...siblings: ReactNode[]) =>
  render(createElement(GenerateForm, props), {
    wrapper: ({ children }) => createElement(provider(), null, children, ...siblings),
  });

const submitButton = () => screen.getByRole("button", { name: "Generate video" }) as HTMLButtonElement;
const lastGenerate = () => api.requests("POST /videos").at(-1)?.body as GenerateRequest | undefined;
const png = (name: string, size = 8) => new File([new Uint8Array(size).fill(7)], name, { type: "image/png" });

const fastModel = model("fast-1", {
  name: "Fast",
  description: "Quick drafts at 24 fps.",
  limits: {
    promptMaxLength: 500,
    frames: { min: 9, max: 97, step: 8, default: 25 },
    fps: 24,
    width: { min: 320, max: 768, multipleOf: 32, default: 640 },
    height: { min: 320, max: 768, multipleOf: 32, default: 384 },
    steps: { min: 1, max: 50, default: 20 },
    cfg: { min: 1, max: 10, default: 3 },
  },
  cost: { credits: 2 },
});
const imageModel = model("animate-1", {
  name: "Animate",
  description: "Brings a still image to life.",
  image: "required",
  cost: { credits: 8 },
});

describe("useModels and useCredits", () => {
  it("useModels loads the catalog once for every component of a provider", async () => {
    api.models = [model("mochi-1"), fastModel];
    const { result } = renderHook(() => ({ first: useModels(), second: useModels() }), { wrapper: provider() });
    expect(result.current.first.loading).toBe(true);
    await waitFor(() => expect(result.current.first.models?.map((entry) => entry.id)).toEqual(["mochi-1", "fast-1"]));
    expect(result.current.second.models).toBe(result.current.first.models);
    expect(api.requests("GET /models")).toHaveLength(1);
  });

  it("useCredits shows the balance and ledger; a generate answer's balance shows at once and the ledger follows", async () => {
    api.usage = creditsUsage(20);
    const { result } = renderHook(() => ({ credits: useCredits(), generate: useGenerate() }), { wrapper: provider() });
    await waitFor(() => expect(result.current.credits.credits).toEqual({ balance: 20, entries: [] }));

    await act(async () => {
      await result.current.generate.generate({ prompt: "a kite over a beach" });
    });
    // From the generate answer, before any new credits request could have answered.
    expect(result.current.credits.credits?.balance).toBe(15);
    await waitFor(() =>
      expect(result.current.credits.credits?.entries.map((entry) => [entry.delta, entry.balanceAfter])).toEqual([
        [-5, 15],
      ]),
    );
    expect(api.requests("GET /credits")).toHaveLength(2);
  });

  it("nothing asks for credits until something shows them", async () => {
    api.usage = creditsUsage(20);
    const { result } = renderHook(() => useGenerate(), { wrapper: provider() });
    await act(async () => {
      await result.current.generate({ prompt: "a kite over a beach" });
    });
    expect(result.current.result?.usage.credits).toEqual({ balance: 15 });
    expect(api.requests("GET /credits")).toEqual([]);
  });

  it("a watched video that fails reloads the credits (its refund)", async () => {
    api.usage = creditsUsage(10);
    api.videos = [video("v1", "processing", 1000, { creditCost: 5 })];
    const { result } = renderHook(() => ({ videos: useVideos(), credits: useCredits() }), { wrapper: provider() });
    await waitFor(() => expect(result.current.videos.videos.map((entry) => entry.status)).toEqual(["processing"]));
    await waitFor(() => expect(result.current.credits.credits?.balance).toBe(10));
    const before = api.requests("GET /credits").length;

    // The server refunds the failed video's 5 credits.
    api.usage = creditsUsage(15);
    api.videos = [video("v1", "failed", 2000, { creditCost: 5 })];
    await waitFor(() => expect(result.current.credits.credits?.balance).toBe(15));
    expect(api.requests("GET /credits").length).toBe(before + 1);
  });
});

describe("<GenerateForm>: models", () => {
  it("offers a model picker when the catalog has several; the length, size and request follow the chosen model", async () => {
    const user = userEvent.setup();
    api.models = [model("mochi-1", { name: "Mochi 1", description: "Smooth motion." }), fastModel];
    renderForm();
    const picker = (await screen.findByLabelText("Model")) as HTMLSelectElement;
    expect([...picker.options].map((option) => option.text)).toEqual(["Mochi 1", "Fast"]);
    expect(screen.getByText("Smooth motion.")).toBeTruthy();
    expect(screen.getByText("31 frames at 30 fps = 1.03 s")).toBeTruthy();

    await user.selectOptions(picker, "fast-1");
    expect(screen.getByText("Quick drafts at 24 fps.")).toBeTruthy();
    // 1 s at 24 fps is 24 frames; the nearest count Fast accepts ((frames − 1) % 8 == 0) is 25.
    expect(screen.getByText("25 frames at 24 fps = 1.04 s")).toBeTruthy();
    const length = screen.getByLabelText("Length (seconds)") as HTMLInputElement;
    expect([length.min, length.max]).toEqual(["0.3", "4"]);
    const width = screen.getByLabelText("Width (px)") as HTMLInputElement;
    expect([width.value, width.min, width.max, width.step]).toEqual(["640", "320", "768", "32"]);
    expect((screen.getByLabelText("Inference steps") as HTMLInputElement).value).toBe("20");
    // The prompt limit is said before it bites (no maxLength silently cutting a paste).
    expect(screen.getAllByText("0 / 500 characters")).toHaveLength(2);

    await user.clear(length);
    await user.type(length, "3");
    await user.type(screen.getByLabelText("Prompt"), "a heron takes off");
    await user.click(submitButton());
    await waitFor(() => expect(api.requests("POST /videos")).toHaveLength(1));
    expect(lastGenerate()).toEqual({
      prompt: "a heron takes off",
      model: "fast-1",
      frames: 73,
      width: 640,
      height: 384,
      steps: 20,
      cfg: 3,
    });
  });

  it("with a single model there is no picker, and the request names that model", async () => {
    const user = userEvent.setup();
    api.models = [fastModel];
    renderForm();
    await screen.findByText("25 frames at 24 fps = 1.04 s");
    expect(screen.queryByLabelText("Model")).toBeNull();
    await user.type(screen.getByLabelText("Prompt"), "a heron takes off");
    await user.click(submitButton());
    await waitFor(() => expect(lastGenerate()).toMatchObject({ model: "fast-1", frames: 25, width: 640 }));
  });

  it("without a catalog (a server that has no /models) it keeps Mochi's limits and names no model", async () => {
    const user = userEvent.setup();
    api.failNext("GET /models", 404, "not_found", "No such route.");
    renderForm();
    await waitFor(() => expect(api.requests("GET /models")).toHaveLength(1));
    await user.type(screen.getByLabelText("Prompt"), "a heron takes off");
    await user.click(submitButton());
    await waitFor(() => expect(api.requests("POST /videos")).toHaveLength(1));
    expect(lastGenerate()).toEqual({
      prompt: "a heron takes off",
      frames: 31,
      width: 848,
      height: 480,
      steps: 64,
      cfg: 4.5,
    });
    expect(screen.queryByLabelText("Model")).toBeNull();
  });
});

describe("<GenerateForm>: billing", () => {
  it("under credits billing it shows the price and balance, and blocks a video the balance cannot pay", async () => {
    const user = userEvent.setup();
    api.models = [model("mochi-1", { name: "Mochi 1" }), fastModel];
    api.usage = creditsUsage(3);
    renderForm();
    await screen.findByText("This video costs 5 credits; you have 3.");
    expect(
      screen.getByText(
        "Not enough credits: this video costs 5 credits and you have 3. Add credits or choose a cheaper model.",
      ),
    ).toBeTruthy();
    expect(screen.queryByText(/left this period/)).toBeNull();
    // The picker shows each model's price.
    const picker = screen.getByLabelText("Model") as HTMLSelectElement;
    expect([...picker.options].map((option) => option.text)).toEqual(["Mochi 1 (5 credits)", "Fast (2 credits)"]);
    await user.type(screen.getByLabelText("Prompt"), "a heron takes off");
    expect(submitButton().disabled).toBe(true);

    await user.selectOptions(picker, "fast-1");
    expect(screen.getByText("This video costs 2 credits; you have 3.")).toBeTruthy();
    expect(screen.queryByText(/Not enough credits/)).toBeNull();
    expect(submitButton().disabled).toBe(false);
    await user.click(submitButton());
    // The answer's balance: 3 − 2.
    await screen.findByText("This video costs 2 credits; you have 1.");
    expect(submitButton().disabled).toBe(true);
    expect(
      screen.getByText(/Not enough credits: this video costs 2 credits and you have 1\. Add credits to continue\./),
    ).toBeTruthy();
  });

  it("a 402 insufficient_credits from the server is explained with the price and balance", async () => {
    const user = userEvent.setup();
    api.usage = creditsUsage(50);
    // Someone spent the credits elsewhere since the form loaded.
    api.failNext("POST /videos", 402, "insufficient_credits", "Not enough credits.", {
      balance: 1,
      price: 5,
      model: "mochi-1",
    });
    renderForm();
    await screen.findByText("This video costs 5 credits; you have 50.");
    await user.type(screen.getByLabelText("Prompt"), "a heron takes off");
    api.usage = creditsUsage(1);
    await user.click(submitButton());
    const alert = await screen.findByRole("alert");
    expect(alert.dataset.code).toBe("insufficient_credits");
    expect(alert.textContent).toBe(
      "Not enough credits: this video costs 5 credits and you have 1. Add credits or choose a cheaper model.",
    );
    // The refusal reloads the balance.
    await screen.findByText("This video costs 5 credits; you have 1.");
  });

  it("under the seconds policy it keeps the seconds left; with no seconds limit it shows the seconds used", async () => {
    api.usage = { ...secondsUsage, usedSeconds: 599.5, remainingSeconds: 0.5 };
    renderForm();
    await screen.findByText("0.5 s of 10 min left this period");
    expect(
      screen.getByText(/This length needs 1\.03 s, more than the 0\.5 s left\. Choose a shorter video\./),
    ).toBeTruthy();
    expect(screen.queryByText(/credits/)).toBeNull();
    cleanup();

    api.usage = { ...secondsUsage, usedSeconds: 125, limitSeconds: null, remainingSeconds: null };
    renderForm();
    await screen.findByText("2 min 5 s used this period");
    expect(screen.queryByText(/Choose a shorter video/)).toBeNull();
  });
});

describe("<GenerateForm>: input image", () => {
  it("a model that requires an image: submit waits for one, which uploads on pick with a preview and goes with the request", async () => {
    const user = userEvent.setup();
    api.models = [model("mochi-1", { name: "Mochi 1" }), imageModel];
    renderForm();
    await screen.findByLabelText("Model");
    // Mochi is text-to-video: no image field.
    expect(screen.queryByLabelText(/Input image/)).toBeNull();

    await user.selectOptions(screen.getByLabelText("Model"), "animate-1");
    const input = screen.getByLabelText("Input image") as HTMLInputElement;
    expect(screen.getByText("This model animates an image: PNG, JPEG or WebP, up to 10 MB.")).toBeTruthy();
    expect(input.accept).toBe("image/png,image/jpeg,image/webp");
    await user.type(screen.getByLabelText("Prompt"), "the cat wakes up and stretches");
    expect(submitButton().disabled).toBe(true);
    expect(screen.getByText("Choose an image: Animate needs one to start from.")).toBeTruthy();

    await user.upload(input, png("cat.png", 12));
    expect((screen.getByAltText("Preview of cat.png") as HTMLImageElement).src).toBe("blob:preview/cat.png");
    await screen.findByText("Uploaded (640×360)");
    const uploads = api.requests("POST /uploads");
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ contentType: "image/png", body: new Array(12).fill(7) });
    expect(screen.queryByText(/Choose an image/)).toBeNull();

    await user.click(submitButton());
    await waitFor(() => expect(lastGenerate()).toMatchObject({ model: "animate-1", image: "upl_1" }));
    // Not uploaded a second time for the request.
    expect(api.requests("POST /uploads")).toHaveLength(1);
  });

  it("a failed upload shows why and is tried again on submit", async () => {
    const user = userEvent.setup();
    api.models = [imageModel];
    api.failNext("POST /uploads", 400, "validation_failed", "The file is not a PNG, JPEG or WebP image.");
    renderForm();
    const input = (await screen.findByLabelText("Input image")) as HTMLInputElement;
    await user.type(screen.getByLabelText("Prompt"), "the cat wakes up");
    await user.upload(input, png("cat.png"));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("The image could not be uploaded: The file is not a PNG, JPEG or WebP image.");

    await user.click(submitButton());
    await waitFor(() => expect(lastGenerate()).toMatchObject({ image: "upl_2" }));
    expect(api.requests("POST /uploads")).toHaveLength(2);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("an image over 10 MB is refused before uploading; removing it clears the field", async () => {
    const user = userEvent.setup();
    api.models = [imageModel];
    renderForm();
    const input = (await screen.findByLabelText("Input image")) as HTMLInputElement;
    await user.type(screen.getByLabelText("Prompt"), "the cat wakes up");
    await user.upload(input, png("huge.png", 11 * 1024 * 1024));
    expect(screen.getByRole("alert").textContent).toBe(
      "This image is 11.0 MB; the limit is 10.0 MB. Choose a smaller image.",
    );
    expect(submitButton().disabled).toBe(true);
    expect(api.requests("POST /uploads")).toEqual([]);

    await user.click(screen.getByRole("button", { name: "Remove image" }));
    expect(input.files?.length ?? 0).toBe(0);
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.queryByAltText(/Preview of/)).toBeNull();
    expect(screen.getByText("Choose an image: Animate needs one to start from.")).toBeTruthy();
  });

  it("an optional image can be left out", async () => {
    const user = userEvent.setup();
    api.models = [model("mochi-1", { image: "optional" })];
    renderForm();
    await screen.findByLabelText("Input image (optional)");
    await user.type(screen.getByLabelText("Prompt"), "waves at night");
    await user.click(submitButton());
    await waitFor(() => expect(api.requests("POST /videos")).toHaveLength(1));
    expect(lastGenerate()).not.toHaveProperty("image");
  });
});

describe("<GenerateForm>: Enhance prompt", () => {
  it("the checkbox asks the server to enhance the prompt; showEnhancePrompt={false} hides it", async () => {
    const user = userEvent.setup();
    renderForm();
    await user.type(screen.getByLabelText("Prompt"), "waves at night");
    await user.click(screen.getByRole("checkbox", { name: "Enhance prompt" }));
    await user.click(submitButton());
    await waitFor(() => expect(lastGenerate()).toMatchObject({ prompt: "waves at night", enhancePrompt: true }));

    await user.type(screen.getByLabelText("Prompt"), "rain on a window");
    await user.click(screen.getByRole("checkbox", { name: "Enhance prompt" }));
    await user.click(submitButton());
    await waitFor(() => expect(api.requests("POST /videos")).toHaveLength(2));
    expect(lastGenerate()).not.toHaveProperty("enhancePrompt");
    cleanup();

    renderForm({ showEnhancePrompt: false });
    await screen.findByText(/left this period/);
    expect(screen.queryByRole("checkbox", { name: "Enhance prompt" })).toBeNull();
  });
});

describe("<VideoCard> and <VideoGallery>", () => {
  it("shows the enhanced prompt under the prompt, collapsed until opened", async () => {
    const user = userEvent.setup();
    render(
      createElement(VideoCard, {
        video: video("v1", "completed", 1000, { prompt: "a fox", enhancedPrompt: "a fox in fresh snow, low sun" }),
      }),
    );
    const card = screen.getByRole("article", { name: "a fox" });
    const details = within(card).getByText("Enhanced prompt").closest("details") as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(within(details).getByText("a fox in fresh snow, low sun")).toBeTruthy();
    await user.click(within(card).getByText("Enhanced prompt"));
    expect(details.open).toBe(true);
    cleanup();

    render(createElement(VideoCard, { video: video("v2", "completed", 1000, { prompt: "a fox" }) }));
    expect(screen.queryByText("Enhanced prompt")).toBeNull();
  });

  it("shows the input image only when its URL is known, and a failed credits video says its credits were refunded", () => {
    const withImage = video("v1", "failed", 1000, { prompt: "the cat wakes up", imageId: "upl_9", creditCost: 8 });
    render(createElement(VideoCard, { video: withImage }));
    expect(screen.queryByRole("img")).toBeNull();
    expect(screen.getByText(/Its 8 credits were refunded\./)).toBeTruthy();
    expect(screen.getByText(/· 8 credits/)).toBeTruthy();
    cleanup();

    render(createElement(VideoCard, { video: withImage, imageUrl: "https://files.example/upl_9.png" }));
    expect((screen.getByRole("img", { name: "Starting frame" }) as HTMLImageElement).src).toBe(
      "https://files.example/upl_9.png",
    );
    cleanup();

    render(createElement(VideoCard, { video: video("v3", "failed", 1000, { creditCost: 1 }) }));
    expect(screen.getByText(/Its 1 credit was refunded\./)).toBeTruthy();
    cleanup();

    render(createElement(VideoCard, { video: video("v4", "failed", 1000) }));
    expect(screen.getByText(/Its seconds were refunded\./)).toBeTruthy();
  });

  it("the gallery shows the image uploaded through the form on the video made from it", async () => {
    const user = userEvent.setup();
    api.models = [imageModel];
    api.videos = [video("v0", "completed", 1000, { prompt: "an older video", imageId: "upl_from_elsewhere" })];
    renderForm({}, createElement(VideoGallery));
    const gallery = await screen.findByRole("region", { name: "Your videos" });
    await within(gallery).findByRole("article", { name: "an older video" });

    await user.type(screen.getByLabelText("Prompt"), "the cat wakes up");
    await user.upload(screen.getByLabelText("Input image"), png("cat.png"));
    await screen.findByText("Uploaded (640×360)");
    await user.click(submitButton());

    const card = await within(gallery).findByRole("article", { name: "the cat wakes up" });
    expect((within(card).getByRole("img", { name: "Starting frame" }) as HTMLImageElement).src).toBe(
      "https://files.example/uploads/upl_1.png",
    );
    // An image this page did not upload has no known URL: no thumbnail, no made-up route.
    const older = within(gallery).getByRole("article", { name: "an older video" });
    expect(within(older).queryByRole("img")).toBeNull();
  });
});
