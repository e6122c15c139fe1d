// A ramcloud flavour's coordinator and masters run rc-coordinator / rc-server from /opt/snf/ramcloud
// in the image they boot: a package that names an image built without RAMCloud for them would
// deploy VMs that never start the store. The image facts say which image has it (image-facts.ts).
import { echo } from '../util/echo.js';
import type { VnfDescriptor } from '../descriptor/types.js';
import { PackageError } from './errors.js';
import type { ImageFacts } from './image-facts.js';

/** One RAMCloud VDU whose image lacks RAMCloud. */
export interface RamcloudImageGap {
  flavour: string;
  /** The descriptor's field: flavours.<id>.vdus.<coordinator|masters>.image */
  path: string;
  image: string;
  file: string;
}

export const RAMCLOUD_IMAGE_HOW = 'build the image with RAMCloud: sudo bash scripts/setup.sh --ramcloud, then snf image build --ramcloud';

/** The RAMCloud VDUs of the descriptor whose image file was built without RAMCloud. */
export function ramcloudImageGaps(d: VnfDescriptor, images: Readonly<Record<string, ImageFacts>>): RamcloudImageGap[] {
  const gaps: RamcloudImageGap[] = [];
  for (const [id, f] of Object.entries(d.flavours)) {
    if (f.store.kind !== 'ramcloud') continue;
    for (const vdu of ['coordinator', 'masters'] as const) {
      const v = f.vdus[vdu];
      const facts = v ? images[v.image] : undefined;
      if (v && facts && !facts.ramcloud) gaps.push({ flavour: id, path: `flavours.${id}.vdus.${vdu}.image`, image: v.image, file: facts.path });
    }
  }
  return gaps;
}

export function ramcloudImageMessage(g: RamcloudImageGap): string {
  return echo`${g.path}: image '${g.image}' (${g.file}) was built without RAMCloud (no /opt/snf/ramcloud in its facts): ${RAMCLOUD_IMAGE_HOW}`;
}

/** Refuses the one gap a generator is asked about. */
export function requireRamcloudImage(d: VnfDescriptor, images: Readonly<Record<string, ImageFacts>>, flavour: string): void {
  const g = ramcloudImageGaps(d, images).find((x) => x.flavour === flavour);
  if (g) throw new PackageError(ramcloudImageMessage(g));
}

/** The descriptor without some flavours (a CSAR of what the image can run). */
export function withoutFlavours(d: VnfDescriptor, drop: ReadonlySet<string>): VnfDescriptor {
  return { ...d, flavours: Object.fromEntries(Object.entries(d.flavours).filter(([id]) => !drop.has(id))) };
}
