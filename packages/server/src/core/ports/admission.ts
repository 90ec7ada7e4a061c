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
  /** The admission rules as this server is configured. */
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
    limitWindow: {
      /** The window's first instant. */
      start: Date;
      /** The instant after its last. */
      end: Date;
    } | null;
  };
  /** The Idempotency-Key, or null. */
  idempotency: {
    /** The `Idempotency-Key` header's value. */
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
    settled: {
      /** The video the key's request made. */
      videoId: string;
      /** `end`: its request ended; `delete`: the provider refused it and the key is free again. */
      action: "end" | "delete";
    } | null;
  } | null;
}

/** The user's usage right after the charge, as the admission saw it. */
export interface AdmittedUsage {
  /** Net seconds charged this period, the new video's included. */
  usedSeconds: number;
  /** The credit balance after the charge. */
  balance: number;
  /** The first instant of the quota period the charge counts in. */
  periodStart: Date;
  /** The instant after its last. */
  periodEnd: Date;
}

/** What `AdmissionStore.admitAndInsertVideo` did: admitted the video, refused it, or found its key used before. */
export type AdmissionOutcome =
  | {
      /** Admitted: the video and its charge are stored. */
      kind: "admitted";
      /** The video as stored (stamped and numbered). */
      video: VideoRecord;
      /** The user's usage right after the charge. */
      usage: AdmittedUsage;
      /** Timing (eta21): the new video's place in line and its model's history, as `Store.timingBasis` reads them. */
      timing: TimingBasis;
    }
  | {
      /** Refused: an invite-only server, and the user has not redeemed a voucher. */
      kind: "access_restricted";
    }
  | {
      /** Refused: the user has not accepted the current terms. */
      kind: "terms_required";
    }
  | {
      /** Refused: the user has as many queued or processing videos as allowed. */
      kind: "too_many_active_jobs";
      /** How many they have. */
      active: number;
    }
  | {
      /** Refused: the video's seconds do not fit in what is left of the period's quota. */
      kind: "quota_exceeded";
      /** Net seconds charged this period so far. */
      usedSeconds: number;
      /** When the period ends (the quota renews). */
      periodEnd: Date;
    }
  | {
      /** Refused: the credit balance is below the video's cost. */
      kind: "insufficient_credits";
      /** The balance. */
      balance: number;
    }
  | {
      /** Refused: the key was used with a different request. */
      kind: "idempotency_conflict";
    }
  | {
      /** Refused: the key's first request is still running. */
      kind: "idempotency_in_progress";
    }
  | {
      /** The key was used before: answer with its stored answer, or (null) its video as it is now. */
      kind: "replay";
      /** The video the key's first request made, or null when it made none. */
      videoId: string | null;
      /** The first request's answer, when it was stored. */
      stored: {
        /** Its HTTP status. */
        status: number;
        /** Its body. */
        body: unknown;
      } | null;
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
