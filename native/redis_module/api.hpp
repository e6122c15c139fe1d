// The entries of the Redis module API this module calls, declared after the API reference
// (https://redis.io/docs/reference/modules/modules-api-ref/), not copied from redismodule.h
// (no Debian package ships it). Redis hands a module one function, GetApi, as the first word
// of the context passed to RedisModule_OnLoad; every other entry is looked up by name through
// it. The pointers are named rm_*: redis-server exports its own RM_* functions, and a global
// of the same name in the module would be resolved to those (and overwritten at load).
#pragma once
#include <cstddef>

extern "C" {
typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleKey RedisModuleKey;
typedef struct RedisModuleString RedisModuleString;
typedef struct RedisModuleCallReply RedisModuleCallReply;
typedef int (*RedisModuleCmdFunc)(RedisModuleCtx*, RedisModuleString**, int);
}

namespace snf::rm {

enum : int { kOk = 0, kErr = 1, kApiVer1 = 1 };
enum : int { kRead = 1 << 0, kWrite = 1 << 1 };
enum : int { kKeyEmpty = 0, kKeyString = 1, kKeyZset = 5 };
enum : long long { kNoExpire = -1 };
enum : int { kReplyError = 1 };  // RedisModule_CallReplyType
// RedisModule_SetModuleOptions: keys opened for writing are not signalled as changed on close.
enum : int { kNoImplicitSignalModified = 1 << 1 };

#define SNF_RM_API(X)                                                                              \
  X(int, CreateCommand, (RedisModuleCtx*, const char*, RedisModuleCmdFunc, const char*, int, int, int)) \
  X(void, SetModuleAttribs, (RedisModuleCtx*, const char*, int, int))                             \
  X(void, SetModuleOptions, (RedisModuleCtx*, int))                                               \
  X(int, SignalModifiedKey, (RedisModuleCtx*, RedisModuleString*))                                \
  X(void*, OpenKey, (RedisModuleCtx*, RedisModuleString*, int))                                   \
  X(void, CloseKey, (RedisModuleKey*))                                                            \
  X(int, KeyType, (RedisModuleKey*))                                                              \
  X(char*, StringDMA, (RedisModuleKey*, size_t*, int))                                            \
  X(int, StringSet, (RedisModuleKey*, RedisModuleString*))                                        \
  X(int, SetAbsExpire, (RedisModuleKey*, long long))                                              \
  X(long long, GetExpire, (RedisModuleKey*))                                                      \
  X(int, ZsetAdd, (RedisModuleKey*, double, RedisModuleString*, int*))                            \
  X(int, ZsetFirstInScoreRange, (RedisModuleKey*, double, double, int, int))                      \
  X(int, ZsetRangeEndReached, (RedisModuleKey*))                                                  \
  X(void, ZsetRangeStop, (RedisModuleKey*))                                                       \
  X(long long, Milliseconds, (void))                                                              \
  X(const char*, StringPtrLen, (const RedisModuleString*, size_t*))                               \
  X(RedisModuleString*, CreateString, (RedisModuleCtx*, const char*, size_t))                     \
  X(void, FreeString, (RedisModuleCtx*, RedisModuleString*))                                      \
  X(int, StringToLongLong, (const RedisModuleString*, long long*))                                \
  X(int, ReplyWithNull, (RedisModuleCtx*))                                                        \
  X(int, ReplyWithError, (RedisModuleCtx*, const char*))                                          \
  X(int, ReplyWithStringBuffer, (RedisModuleCtx*, const char*, size_t))                           \
  X(int, WrongArity, (RedisModuleCtx*))                                                           \
  X(int, IsKeysPositionRequest, (RedisModuleCtx*))                                                \
  X(void, KeyAtPos, (RedisModuleCtx*, int))                                                       \
  X(size_t, ValueLength, (RedisModuleKey*))                                                       \
  X(RedisModuleCallReply*, Call, (RedisModuleCtx*, const char*, const char*, ...))                \
  X(int, CallReplyType, (RedisModuleCallReply*))                                                  \
  X(void, FreeCallReply, (RedisModuleCallReply*))                                                 \
  X(int, Replicate, (RedisModuleCtx*, const char*, const char*, ...))

#define SNF_RM_DECLARE(R, N, A) extern R(*rm_##N) A;
SNF_RM_API(SNF_RM_DECLARE)
#undef SNF_RM_DECLARE

// Resolves every entry and names the module; kErr when this Redis lacks one (older than 6.2).
int init(RedisModuleCtx* ctx, const char* name, int version);

}  // namespace snf::rm
