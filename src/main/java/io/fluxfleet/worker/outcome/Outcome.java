package io.fluxfleet.worker.outcome;

/** What became of one record (for logs and tests). */
public enum Outcome { COMPLETED, FAILED, RETRYING }
