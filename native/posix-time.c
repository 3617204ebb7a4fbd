// posix_time: async utimensat(2) for Node (nanosecond times, UTIME_NOW / UTIME_OMIT).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <node_api.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  struct timespec times[2];
  int flags;
  int err;
} utimensat_req_t;

#define CHECK(env, call)                                      \
  do {                                                        \
    if ((call) != napi_ok) {                                  \
      napi_throw_error((env), NULL, "posix_time: " #call);    \
      return NULL;                                            \
    }                                                         \
  } while (0)

static void execute (napi_env env, void *data) {
  utimensat_req_t *req = data;
  req->err = utimensat(AT_FDCWD, req->path, req->times, req->flags) == 0 ? 0 : errno;
}

static const char *errno_name (int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case EROFS: return "EROFS";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case ESRCH: return "ESRCH";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOTCONN: return "ENOTCONN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOMEM: return "ENOMEM";
    case EOVERFLOW: return "EOVERFLOW";
    default: return "EUNKNOWN";
  }
}

static void complete (napi_env env, napi_status status, void *data) {
  utimensat_req_t *req = data;
  if (status == napi_ok && req->err == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, req->deferred, undefined);
  } else {
    int err = req->err ? req->err : EIO;
    const char *code = errno_name(err);
    char msg[4200];
    snprintf(msg, sizeof(msg), "%s: %s, utimensat '%s'", code, strerror(err), req->path);
    napi_value js_code, js_msg, js_err, js_errno, js_syscall, js_path;
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg);
    napi_create_error(env, js_code, js_msg, &js_err);
    napi_create_int32(env, -err, &js_errno); // negative, like Node's fs errors
    napi_create_string_utf8(env, "utimensat", NAPI_AUTO_LENGTH, &js_syscall);
    napi_create_string_utf8(env, req->path, NAPI_AUTO_LENGTH, &js_path);
    napi_set_named_property(env, js_err, "errno", js_errno);
    napi_set_named_property(env, js_err, "syscall", js_syscall);
    napi_set_named_property(env, js_err, "path", js_path);
    napi_reject_deferred(env, req->deferred, js_err);
  }
  napi_delete_async_work(env, req->work);
  free(req->path);
  free(req);
}

// utimensat(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec, noFollow) -> Promise<void>
static napi_value js_utimensat (napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "utimensat: expected 6 arguments");
    return NULL;
  }

  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "utimensat: path must be a string");
    return NULL;
  }
  int64_t asec, msec;
  uint32_t ansec, mnsec;
  bool nofollow;
  if (napi_get_value_int64(env, argv[1], &asec) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &ansec) != napi_ok ||
      napi_get_value_int64(env, argv[3], &msec) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &mnsec) != napi_ok ||
      napi_get_value_bool(env, argv[5], &nofollow) != napi_ok) {
    napi_throw_type_error(env, NULL, "utimensat: bad time arguments");
    return NULL;
  }

  utimensat_req_t *req = calloc(1, sizeof(*req));
  if (req == NULL || (req->path = malloc(len + 1)) == NULL) {
    free(req);
    napi_throw_error(env, "ENOMEM", "utimensat: out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], req->path, len + 1, &len);
  req->times[0].tv_sec = (time_t) asec;
  req->times[0].tv_nsec = ansec;
  req->times[1].tv_sec = (time_t) msec;
  req->times[1].tv_nsec = mnsec;
  req->flags = nofollow ? AT_SYMLINK_NOFOLLOW : 0;

  napi_value promise, name;
  napi_create_promise(env, &req->deferred, &promise);
  napi_create_string_utf8(env, "posix_time:utimensat", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, req, &req->work);
  napi_queue_async_work(env, req->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn, now, omit;
  napi_create_function(env, "utimensat", NAPI_AUTO_LENGTH, js_utimensat, NULL, &fn);
  napi_set_named_property(env, exports, "utimensat", fn);
  napi_create_uint32(env, UTIME_NOW, &now);
  napi_create_uint32(env, UTIME_OMIT, &omit);
  napi_set_named_property(env, exports, "UTIME_NOW", now);
  napi_set_named_property(env, exports, "UTIME_OMIT", omit);
  return exports;
}
