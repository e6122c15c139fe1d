{
  "targets": [
    {
      "target_name": "snf",
      "sources": [
        "<!@(grep -v -e '^#' -e '^$' core-sources.txt)",
        "binding/config_js.cpp",
        "binding/exit_watch.cpp",
        "binding/route_socket.cpp",
        "binding/store_sweeper.cpp",
        "steer/rtnl.cpp",
        "binding/addon.cpp"
      ],
      "include_dirs": [".", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-rtti"],
      "libraries": ["-lssl", "-lcrypto"],
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
    },
    {
      "target_name": "snf_redis_module",
      "type": "shared_library",
      "product_name": "snf-redis-module",
      "product_prefix": "",
      "product_extension": "so",
      "sources": ["redis_module/api.cpp", "redis_module/commands.cpp"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fvisibility=hidden", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"]
    }
  ]
}
