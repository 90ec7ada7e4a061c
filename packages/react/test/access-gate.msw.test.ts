// @vitest-environment jsdom
// Invite-only access (access21): <AccessGate> and useAccess against a fake server (msw) that
// answers a restricted role until a known code is redeemed.
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { createElement } from "react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AccessGate, OpenVProvider } from "../src/index.js";
import "./support/render.js";
import { createClient } from "@openv/sdk";
import { HttpResponse, http, setupServer } from "../../sdk/test/support/msw.js";

const base = "http://openv.test/api";
let role: "restricted" | "user" = "restricted";
const redeemed: string[] = [];
const network = setupServer(
  http.get(`${base}/access`, () =>
    HttpResponse.json({
      role,
      voucher: role === "user" ? { code: "GOOD-CODE-2026", redeemedAt: "2026-12-07T10:00:00.000Z" } : null,
    }),
  ),
  http.post(`${base}/access/redeem`, async ({ request }) => {
    const { code } = (await request.json()) as { code: string };
    redeemed.push(code);
    if (code.toUpperCase() !== "GOOD-CODE-2026") {
      return HttpResponse.json(
        {
          error: {
            code: "voucher_invalid",
            message: "This voucher expired on 2026-11-01T00:00:00.000Z. Ask an admin for a new code.",
            details: { reason: "expired" },
          },
        },
        { status: 400 },
      );
    }
    role = "user";
    return HttpResponse.json({ role });
  }),
);

beforeAll(() => network.listen({ onUnhandledRequest: "bypass" }));
beforeEach(() => {
  role = "restricted";
  redeemed.length = 0;
});
afterEach(cleanup);
afterAll(() => network.close());

const renderGate = () =>
  render(
    createElement(
      OpenVProvider,
      { client: createClient({ baseUrl: base, retryDelayMs: 1 }) },
      createElement(AccessGate, null, createElement("p", null, "the generate form")),
    ),
  );

describe("<AccessGate>", () => {
  it("shows a code field to a restricted user; a refused code says why; a good one shows the children", async () => {
    renderGate();
    const field = await screen.findByLabelText("Voucher code");
    expect(screen.queryByText("the generate form")).toBeNull();
    const button = screen.getByRole("button", { name: "Redeem code" }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);

    await userEvent.type(field, "OLD-CODE");
    await userEvent.click(button);
    expect(await screen.findByRole("alert")).toHaveProperty(
      "textContent",
      expect.stringMatching(/expired.*Ask an admin/),
    );
    expect(screen.queryByText("the generate form")).toBeNull();

    await userEvent.clear(field);
    await userEvent.type(field, "good-code-2026 ");
    await userEvent.click(button);
    await screen.findByText("the generate form");
    expect(redeemed).toEqual(["OLD-CODE", "good-code-2026"]);
    expect(screen.queryByLabelText("Voucher code")).toBeNull();
  });

  it("renders the children at once for a user who may generate", async () => {
    role = "user";
    renderGate();
    await waitFor(() => expect(screen.getByText("the generate form")).toBeTruthy());
    expect(screen.queryByLabelText("Voucher code")).toBeNull();
    expect(redeemed).toEqual([]);
  });
});
