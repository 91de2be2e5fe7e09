/*
 * bindlo: an LD_PRELOAD shim that keeps test peers on loopback.
 *
 * Orthanc 1.10 and the DCMTK listeners bind the wildcard address and have no option
 * to choose another. This wraps bind(2):
 *   AF_INET  0.0.0.0 -> 127.0.0.1
 *   AF_INET6 ::      -> ::1               when the socket is IPV6_V6ONLY
 *                    -> ::ffff:127.0.0.1  when it is dual-stack, so IPv4 clients of
 *                                         127.0.0.1 still reach it (loopback only)
 * Every other bind goes through unchanged. The port is never touched.
 * Set BINDLO_VERBOSE=1 to print each rewrite on stderr.
 * Build: gcc -shared -fPIC -o bindlo.so bindlo.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

static bind_fn real_bind(void) {
  static bind_fn fn = NULL;
  if (fn == NULL) fn = (bind_fn)dlsym(RTLD_NEXT, "bind");
  return fn;
}

static int verbose(void) {
  const char *v = getenv("BINDLO_VERBOSE");
  return v != NULL && v[0] != '\0' && v[0] != '0';
}

static int bind_v4(int fd, const struct sockaddr_in *in, socklen_t len) {
  struct sockaddr_in copy;
  memcpy(&copy, in, sizeof copy);
  copy.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (verbose()) fprintf(stderr, "bindlo: 0.0.0.0:%u -> 127.0.0.1\n", ntohs(copy.sin_port));
  return real_bind()(fd, (const struct sockaddr *)&copy, len);
}

static int bind_v6(int fd, const struct sockaddr_in6 *in6, socklen_t len) {
  struct sockaddr_in6 copy;
  int v6only = 0;
  socklen_t optlen = sizeof v6only;
  memcpy(&copy, in6, sizeof copy);
  if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &optlen) != 0) v6only = 1;
  if (v6only) {
    copy.sin6_addr = in6addr_loopback;
  } else {
    memset(&copy.sin6_addr, 0, sizeof copy.sin6_addr);
    copy.sin6_addr.s6_addr[10] = 0xff;
    copy.sin6_addr.s6_addr[11] = 0xff;
    copy.sin6_addr.s6_addr[12] = 127;
    copy.sin6_addr.s6_addr[15] = 1;
  }
  if (verbose()) {
    fprintf(stderr, "bindlo: [::]:%u -> %s\n", ntohs(copy.sin6_port), v6only ? "[::1]" : "[::ffff:127.0.0.1]");
  }
  return real_bind()(fd, (const struct sockaddr *)&copy, len);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  if (real_bind() == NULL) return -1;
  if (addr != NULL && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
    if (in->sin_addr.s_addr == htonl(INADDR_ANY)) return bind_v4(fd, in, len);
  }
  if (addr != NULL && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
    if (memcmp(&in6->sin6_addr, &in6addr_any, sizeof in6addr_any) == 0) return bind_v6(fd, in6, len);
  }
  return real_bind()(fd, addr, len);
}
