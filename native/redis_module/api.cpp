#include "api.hpp"

namespace snf::rm {

#define SNF_RM_DEFINE(R, N, A) R(*rm_##N) A = nullptr;
SNF_RM_API(SNF_RM_DEFINE)
#undef SNF_RM_DEFINE

int init(RedisModuleCtx* ctx, const char* name, int version) {
  using GetApi = int (*)(const char*, void*);
  GetApi get = reinterpret_cast<GetApi>(reinterpret_cast<void**>(ctx)[0]);
  bool ok = get != nullptr;
#define SNF_RM_RESOLVE(R, N, A) ok = ok && get("RedisModule_" #N, reinterpret_cast<void*>(&rm_##N)) == kOk;
  SNF_RM_API(SNF_RM_RESOLVE)
#undef SNF_RM_RESOLVE
  if (!ok) return kErr;
  rm_SetModuleAttribs(ctx, name, version, kApiVer1);
  return kOk;
}

}  // namespace snf::rm
