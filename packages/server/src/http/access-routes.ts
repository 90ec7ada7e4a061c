// Invite-only access (access21): the user's role and voucher redemption, and the admin voucher
// routes. Each parses, calls the core (core/access.ts) and shapes the answer.
import { CreateVoucherRequestSchema, RedeemVoucherRequestSchema } from "@openv/protocol";
import { z } from "zod";
import type { VideoLifecycle } from "../core/lifecycle.js";
import type { Route } from "./routes.js";
import { parseInput } from "./validation.js";

const CodeParamsSchema = z.object({ code: z.string().min(1).max(64) });

/** `GET /access`, `POST /access/redeem`, and `POST|GET /admin/vouchers`, `DELETE /admin/vouchers/:code`. */
export function accessRoutes(lifecycle: VideoLifecycle): Route[] {
  return [
    {
      method: "GET",
      path: "/access",
      auth: true,
      handle: async (context) => ({ status: 200, json: await lifecycle.accessStatus(context.userId) }),
    },
    {
      // Counted with the generate limits: guessing codes costs the guesser's budget.
      method: "POST",
      path: "/access/redeem",
      auth: true,
      generate: true,
      handle: async (context) => {
        const { code } = parseInput(RedeemVoucherRequestSchema, context.json(), "body");
        return { status: 200, json: await lifecycle.redeemVoucher(context.userId, code) };
      },
    },
    {
      method: "POST",
      path: "/admin/vouchers",
      auth: true,
      handle: async (context) => ({
        status: 201,
        json: await lifecycle.createVoucher(
          context.userId,
          parseInput(CreateVoucherRequestSchema, context.json() ?? {}, "body"),
        ),
      }),
    },
    {
      method: "GET",
      path: "/admin/vouchers",
      auth: true,
      handle: async (context) => ({ status: 200, json: await lifecycle.listVouchers(context.userId) }),
    },
    {
      method: "DELETE",
      path: "/admin/vouchers/:code",
      auth: true,
      handle: async (context) => {
        await lifecycle.deactivateVoucher(context.userId, parseInput(CodeParamsSchema, context.params, "query").code);
        return { status: 204 };
      },
    },
  ];
}
