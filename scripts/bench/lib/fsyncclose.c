/*
 * fsyncclose: an LD_PRELOAD shim that makes a peer durable the way dicom-edge is, for the
 * forward benchmark's DCMTK relay reference. DCMTK's storescp writes each received file and closes it without
 * fsync; with this shim every fclose(3)/close(2) of a regular file opened for writing
 * fsyncs it first (glibc's fclose closes through an internal call, so both are wrapped).
 * Nothing else changes. Build: gcc -shared -fPIC -o fsyncclose.so fsyncclose.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void sync_if_written(int fd) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  int fl = fcntl(fd, F_GETFL);
  if (fl != -1 && (fl & O_ACCMODE) != O_RDONLY) fsync(fd);
}

int fclose(FILE *f) {
  static int (*real)(FILE *) = NULL;
  if (real == NULL) real = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
  if (f != NULL && fflush(f) == 0) sync_if_written(fileno(f));
  return real(f);
}

int close(int fd) {
  static int (*real)(int) = NULL;
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "close");
  sync_if_written(fd);
  return real(fd);
}
