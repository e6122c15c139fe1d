// Where a live view's data comes from: a local deployment (`snf up --view`) or the VNF manager.
import type { NotificationView, OpView, VnfView } from './model.js';

export interface Collected {
  vnfs: VnfView[];
  operations?: OpView[];
  notifications?: NotificationView[];
}

export interface ViewSource {
  readonly kind: 'local' | 'vnfm';
  collect(now: number): Promise<Collected>;
  close(): Promise<void>;
}
