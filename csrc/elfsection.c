/* elfsection.c: finding a named ELF section of a loaded object (pure C).
 *
 * The loader tells which object maps an address and where it was loaded
 * (dl_iterate_phdr); the section headers are not mapped, so they are read
 * from the object's file: the executable's through /proc/self/exe, since
 * the loader gives the main program no name. Owns nothing beyond the call.
 */
#define _GNU_SOURCE
#include "elfsection.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    uintptr_t addr;
    char path[4096];
    uintptr_t bias;
    int found;
} object_query;

static int
object_of_address(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    object_query *q = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && q->addr >= start
            && q->addr < start + ph->p_memsz) {
            const char *name = info->dlpi_name;
            if (name == NULL || name[0] == '\0') {
                name = "/proc/self/exe";
            }
            strncpy(q->path, name, sizeof(q->path) - 1);
            q->bias = info->dlpi_addr;
            q->found = 1;
            return 1;
        }
    }
    return 0;
}

/* Reads len bytes at off of fd into a new buffer (free() it), or NULL. */
static void *
read_at(int fd, off_t off, size_t len)
{
    void *buf = malloc(len ? len : 1);
    if (buf == NULL) {
        return NULL;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n =
            pread(fd, (char *)buf + done, len - done, off + (off_t)done);
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            free(buf);
            return NULL;
        }
        done += (size_t)n;
    }
    return buf;
}

/* The address (link-time) and size of section `name` in the ELF file fd. */
static int
section_in_file(int fd, const char *name, uintptr_t *addr, size_t *size)
{
    ElfW(Ehdr) eh;
    if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh)) {
        errno = EIO;
        return -1;
    }
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0
        || eh.e_shentsize != sizeof(ElfW(Shdr))
        || eh.e_shstrndx >= eh.e_shnum) {
        errno = ENOENT;
        return -1;
    }
    ElfW(Shdr) *sh = read_at(fd, (off_t)eh.e_shoff,
                             (size_t)eh.e_shnum * sizeof(ElfW(Shdr)));
    if (sh == NULL) {
        return -1;
    }
    const ElfW(Shdr) *strsec = &sh[eh.e_shstrndx];
    char *names = read_at(fd, (off_t)strsec->sh_offset, strsec->sh_size);
    int rc = -1;
    errno = ENOENT;
    if (names != NULL) {
        for (int i = 0; i < eh.e_shnum; i++) {
            if (sh[i].sh_name < strsec->sh_size
                && strncmp(names + sh[i].sh_name, name,
                           strsec->sh_size - sh[i].sh_name)
                       == 0) {
                *addr = (uintptr_t)sh[i].sh_addr;
                *size = (size_t)sh[i].sh_size;
                rc = 0;
                break;
            }
        }
        free(names);
    }
    free(sh);
    return rc;
}

int
cl_elfsection_find(const void *addr, const char *name, const void **start,
                   size_t *size)
{
    object_query q;
    memset(&q, 0, sizeof(q));
    q.addr = (uintptr_t)addr;
    if (!dl_iterate_phdr(object_of_address, &q) || !q.found) {
        errno = ENOENT;
        return -1;
    }
    int fd = open(q.path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    uintptr_t link_addr;
    int rc = section_in_file(fd, name, &link_addr, size);
    int saved = errno;
    close(fd);
    errno = saved;
    if (rc == 0) {
        *start = (const void *)(q.bias + link_addr);
    }
    return rc;
}
