import type { VideoRecord } from "./records.js";
import type { TimingBasis } from "./store.js";

// Admission of a generate request in one round trip (issue 17): what the core asks the store, and
// what it answers. The store states the rules that must hold under the user's lock once (the SQL
// function `openv_admit_video`, migration 20261207120000_admit_video); the core decides the rest
// and turns each refusal into its error (core/admission.ts).

/** A new video to admit, its rules as this server applies them, and the request's Idempotency-Key. */
export interface AdmissionRequest {
  /**
   * The video as the core made it. The store stamps `createdAt`, `updatedAt` and `providerSeenAt`
   * with the database clock and sets `changeSeq` to the user's next change number.
   */
  video: VideoRecord;
  rules: {
    /** Whether the user's stored role must be `user` (an invite-only server, and the user not an admin). */
    accessCheck: boolean;
    /** The terms version the user must have accepted. */
    termsVersion: string;
    /** How many live queued or processing videos a user may have. */
    maxActiveJobs: number;
    /** `seconds`: the video's seconds must fit in `limitSeconds` this period; `credits`: its `creditCost` in the balance. */
    billing: "seconds" | "credits";
    /** The seconds allowed per period (seconds policy). */
    limitSeconds: number;
    /** The configured quota window, when there is one (else the calendar month in UTC). */
    limitWindow: { start: Date; end: Date } | null;
  };
  /** The Idempotency-Key, or null. */
  idempotency: {
    key: string;
    /** Tells a retry from a different request with the same key. */
    fingerprint: string;
    /** How long the key's record lives. */
    ttlMs: number;
    /** A request still `running` after this long died with its process; its key may be replayed. */
    staleMs: number;
    /**
     * What this instance knows about the key's request that the database could not be told yet
     * (see core/idempotency.ts): it ended (`end`), or the provider refused it (`delete`: the key is free).
     */
    settled: { videoId: string; action: "end" | "delete" } | null;
  } | null;
}

/** The user's usage right after the charge, as the admission saw it. */
export interface AdmittedUsage {
  /** Net seconds charged this period, the new video's included. */
  usedSeconds: number;
  /** The credit balance after the charge. */
  balance: number;
  periodStart: Date;
  periodEnd: Date;
}

/** What `AdmissionStore.admitAndInsertVideo` did. */
export type AdmissionOutcome =
  | {
      kind: "admitted";
      video: VideoRecord;
      usage: AdmittedUsage;
      /** Timing (eta21): the new video's place in line and its model's history, as `Store.timingBasis` reads them. */
      timing: TimingBasis;
    }
  | { kind: "access_restricted" }
  | { kind: "terms_required" }
  | { kind: "too_many_active_jobs"; active: number }
  | { kind: "quota_exceeded"; usedSeconds: number; periodEnd: Date }
  | { kind: "insufficient_credits"; balance: number }
  | { kind: "idempotency_conflict" }
  | { kind: "idempotency_in_progress" }
  | {
      /** The key was used before: answer with its stored answer, or (null) its video as it is now. */
      kind: "replay";
      videoId: string | null;
      stored: { status: number; body: unknown } | null;
    };

/** The admission's part of the `Store` port. */
export interface AdmissionStore {
  /**
   * Admits and stores a new video in one round trip and one transaction, under the user's lock:
   * the key, access, terms, active jobs and the charge, then the video, its ledger rows and the
   * key's `running` record. A refusal (or a replay) writes nothing.
   */
  admitAndInsertVideo(request: AdmissionRequest): Promise<AdmissionOutcome>;
  /**
   * Stores the answer of a keyed request on its key's record, in one statement; a record that
   * names another video (the key expired and was used again) is left alone.
   */
  storeIdempotentAnswer(answer: {
    userId: string;
    key: string;
    videoId: string;
    status: number;
    body: unknown;
  }): Promise<void>;
}
