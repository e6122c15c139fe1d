// The message inside each OpenStack service's error body shape.
import { expect } from 'chai';
import { parseErrorBody, OpenStackHttpError } from '../../../src/openstack/index.js';

describe('openstack error bodies', () => {
  it('reads Heat, Keystone, Nova, Neutron, Tacker and HTML error shapes', () => {
    expect(
      parseErrorBody({
        explanation: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
        code: 400,
        error: { message: 'The template version is invalid', traceback: null, type: 'InvalidTemplateVersion' },
        title: 'Bad Request',
      }),
    ).to.deep.equal({ message: 'The template version is invalid', type: 'InvalidTemplateVersion' });
    expect(parseErrorBody({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } })).to.deep.equal({
      message: 'The request you have made requires authentication.',
      type: 'Unauthorized',
    });
    expect(parseErrorBody({ itemNotFound: { code: 404, message: 'Instance could not be found.' } })).to.deep.equal({ message: 'Instance could not be found.', type: 'itemNotFound' });
    expect(parseErrorBody({ NeutronError: { type: 'PortNotFound', message: 'Port p could not be found.', detail: '' } })).to.deep.equal({ message: 'Port p could not be found.', type: 'PortNotFound' });
    expect(parseErrorBody({ type: 'about:blank', status: 409, title: 'Conflict', detail: 'onboarding state is not CREATED' })).to.deep.equal({ message: 'onboarding state is not CREATED', type: 'Conflict' });
    expect(parseErrorBody('<html><body><h1>404 Not Found</h1>No image found with ID x<br /></body></html>').message).to.equal('404 Not Found No image found with ID x');
  });

  it('puts status, service, type, message and request id in the error message', () => {
    const e = new OpenStackHttpError({ method: 'GET', url: 'http://h/v1/t/stacks/x', service: 'orchestration' }, 404, { error: { message: 'The Stack (x) could not be found.', type: 'EntityNotFound' } }, 'req-1');
    expect(e.message).to.equal('orchestration: GET http://h/v1/t/stacks/x failed with 404 EntityNotFound: The Stack (x) could not be found. (request id req-1)');
    expect(e).to.include({ status: 404, requestId: 'req-1', errorType: 'EntityNotFound', detail: 'The Stack (x) could not be found.' });
  });
});
