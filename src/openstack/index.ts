// The OpenStack REST clients on Node's fetch. Start from a Session (Session.fromEnvironment()
// for clouds.yaml / OS_*, Session.noauth() for an explicit endpoint) and wrap it in the clients.
export * from './errors.js';
export * from './http.js';
export * from './config.js';
export * from './keystone.js';
export * from './session.js';
export * from './heat.js';
export * from './nova.js';
export * from './neutron.js';
export * from './glance.js';
export * from './tacker.js';
