// The OpenStack VIM and how to build one from the user's cloud credentials.
import { HeatClient, Session, type LoadOptions } from '../../openstack/index.js';
import { OpenStackVim, type OpenStackVimOptions } from './vim.js';

export { OpenStackVim, type OpenStackVimOptions } from './vim.js';
export * from './template.js';

/** An OpenStack VIM on the cloud from clouds.yaml / OS_* (see src/openstack/config.ts). */
export function openstackVimFromEnvironment(opts: LoadOptions & OpenStackVimOptions = {}): OpenStackVim {
  return new OpenStackVim(new HeatClient(Session.fromEnvironment(opts)), opts);
}
