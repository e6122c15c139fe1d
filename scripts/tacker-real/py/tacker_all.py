# tacker-server + tacker-conductor in ONE process, so that transport_url = fake:// (in-process
# RPC) works and no RabbitMQ is needed. Run with the venv's python:
#   VENV/bin/python tacker_all.py --config-file tacker.conf
import tacker.cmd.eventlet  # noqa: F401  eventlet.monkey_patch(); must come first
import sys

import oslo_i18n
oslo_i18n.install("tacker")
import oslo_messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402
from oslo_service import service as common_service  # noqa: E402
from tacker.common import config  # noqa: E402
from tacker.common import topics  # noqa: E402
from tacker import objects  # noqa: E402
from tacker import service as tacker_service  # noqa: E402
from tacker.sol_refactored import objects as sol_objects  # noqa: E402


def main():
    # tacker-conductor registers plain StrOpts (auth_url, username, ...) in [keystone_authtoken];
    # keystonemiddleware's password plugin registers 'auth-url' etc. there too. In separate
    # processes they never meet; in one process: DuplicateOptError. Keep keystoneauth's only.
    from keystoneauth1 import loading as ks_loading
    from tacker.conductor import conductor_server
    cfg.CONF.unregister_opts(conductor_server.OPTS, 'keystone_authtoken')
    ks_loading.register_auth_conf_options(cfg.CONF, 'keystone_authtoken')
    cfg.CONF.register_opts(ks_loading.get_auth_plugin_conf_options(
        ks_loading.get_plugin_loader('password')), 'keystone_authtoken')
    config.init(sys.argv[1:])
    objects.register_all()
    sol_objects.register_all()
    logging.setup(cfg.CONF, "tacker")
    oslo_messaging.set_transport_defaults(control_exchange='tacker')
    conductor = tacker_service.Service.create(
        binary='tacker-conductor', topic=topics.TOPIC_CONDUCTOR,
        manager='tacker.conductor.conductor_server.Conductor')
    api = tacker_service.serve_wsgi(tacker_service.TackerApiService)
    launcher = common_service.ServiceLauncher(cfg.CONF, restart_method='mutate')
    launcher.launch_service(conductor)
    launcher.launch_service(api)
    launcher.wait()


if __name__ == '__main__':
    main()
