{
  "targets": [
    {
      "target_name": "snf",
      "sources": [
        "packet/addr.cpp",
        "packet/parse.cpp",
        "packet/rewrite.cpp",
        "store/scripts.cpp",
        "store/local_store.cpp",
        "store/redis_store.cpp",
        "store/redis_conn.cpp",
        "store/tls_transport.cpp",
        "store/redis_reply.cpp",
        "store/cluster_router.cpp",
        "store/script_registry.cpp",
        "store/cache_tracker.cpp",
        "nf/nat.cpp",
        "nf/firewall.cpp",
        "nf/lb.cpp",
        "engine/engine.cpp",
        "io/afpacket.cpp",
        "io/dataplane.cpp",
        "io/ports.cpp",
        "binding/config_js.cpp",
        "binding/exit_watch.cpp",
        "binding/route_socket.cpp",
        "steer/rtnl.cpp",
        "binding/addon.cpp"
      ],
      "include_dirs": [".", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-rtti"],
      "libraries": ["-lhiredis", "-lssl", "-lcrypto"],
      "conditions": [
        ["'<!(pkg-config --exists libxdp libbpf && echo yes || echo no)'=='yes'", {
          "sources": ["io/afxdp.cpp"],
          "defines": ["SNF_WITH_AFXDP"],
          "libraries": ["<!@(pkg-config --libs libxdp libbpf)"]
        }],
        ["'<!(pkg-config --exists libdpdk && echo yes || echo no)'=='yes'", {
          "sources": ["io/dpdk.cpp"],
          "defines": ["SNF_WITH_DPDK"],
          "cflags_cc": ["<!@(pkg-config --cflags libdpdk)"],
          "libraries": ["<!@(pkg-config --libs libdpdk)"]
        }]
      ]
    }
  ]
}
