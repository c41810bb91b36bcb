// IPC messages between a local pool and its child processes (JSON over the IPC channel).
import type { JobOutcome, JobRunnerRef, JobSettings } from './job.js';

export type ParentMessage = {
  readonly type: 'run';
  readonly id: number;
  readonly runner: JobRunnerRef;
  readonly job: unknown;
  readonly attempt: number;
  readonly settings: JobSettings;
};

export type ChildMessage =
  | { readonly type: 'progress'; readonly id: number; readonly message: string }
  | { readonly type: 'notice'; readonly id: number; readonly message: string }
  | { readonly type: 'done'; readonly id: number; readonly outcome: JobOutcome };
