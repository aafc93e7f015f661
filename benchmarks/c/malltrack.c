// malltrack: an LD_PRELOAD malloc tracker for one shared library (Conscrypt's JNI library).
// Used with org.jevent.benchmarks.echo.IdleTlsNative and benchmarks/malltrack_diff.py; not part of jevent.
// Build: gcc -O2 -shared -fPIC -o /tmp/malltrack.so benchmarks/c/malltrack.c -ldl
//
// Every malloc/calloc/realloc whose direct caller lies in the library whose path contains
// MALLTRACK_LIB (default "conscrypt") is remembered with its usable size and its call site
// (the innermost frames after the allocator wrapper, and the outermost frame inside the library,
// i.e. the JNI entry point). A "marker" allocation (malloc of MARK_BASE + k bytes, which the Java
// probe makes with sun.misc.Unsafe.allocateMemory) dumps what is live, by site, to
// MALLTRACK_OUT, together with how many of the pages those allocations cover are resident
// (mincore). Marker 0 finds the library's address range; nothing is tracked before it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

#define MARK_BASE 7654000UL
#define MARK_SPAN 1000UL
#define TABLE_BITS 21
#define TABLE_SIZE (1UL << TABLE_BITS)
#define MAX_SITES 8192
#define DEPTH 40
#define INNER 4

typedef struct {
    uintptr_t ptr; // 0 empty, 1 tombstone
    uint32_t site;
    uint32_t size; // malloc_usable_size
    uint32_t req;  // what the caller asked for
} slot_t;

typedef struct {
    uintptr_t outer;        // offset of the outermost frame inside the library (JNI entry)
    uintptr_t inner[INNER]; // offsets of the innermost frames inside the library
    long count;
    long bytes;
    long req;
    long last_size;
} site_t;

static slot_t *table;
static site_t sites[MAX_SITES];
static int nsites;
static volatile int lock_word;
static uintptr_t lib_lo, lib_hi;
static __thread int in_hook;
static long live_bytes, live_count, live_req;

static void lock(void) {
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) {
    }
}
static void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

static size_t hash(uintptr_t p) { return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ULL) >> (64 - TABLE_BITS); }

static int in_lib(uintptr_t a) { return a >= lib_lo && a < lib_hi; }

static uint32_t site_of(void **frames, int n) {
    site_t key;
    memset(&key, 0, sizeof key);
    int k = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t a = (uintptr_t)frames[i];
        if (!in_lib(a)) {
            continue;
        }
        if (k < INNER) {
            key.inner[k++] = a - lib_lo;
        }
        key.outer = a - lib_lo;
    }
    for (int i = 0; i < nsites; i++) {
        if (sites[i].outer == key.outer && memcmp(sites[i].inner, key.inner, sizeof key.inner) == 0) {
            return (uint32_t)i;
        }
    }
    if (nsites == MAX_SITES) {
        return MAX_SITES - 1;
    }
    sites[nsites] = key;
    return (uint32_t)nsites++;
}

static void track(void *p, size_t req, uintptr_t caller) {
    if (p == NULL || table == NULL || !in_lib(caller) || in_hook) {
        return;
    }
    in_hook = 1;
    void *frames[DEPTH];
    int n = backtrace(frames, DEPTH);
    size_t sz = malloc_usable_size(p);
    lock();
    uint32_t s = site_of(frames, n);
    size_t h = hash((uintptr_t)p);
    while (table[h].ptr > 1) {
        h = (h + 1) & (TABLE_SIZE - 1);
    }
    table[h].ptr = (uintptr_t)p;
    table[h].site = s;
    table[h].size = (uint32_t)sz;
    table[h].req = (uint32_t)req;
    sites[s].count++;
    sites[s].bytes += sz;
    sites[s].req += req;
    live_req += req;
    sites[s].last_size = sz;
    live_bytes += sz;
    live_count++;
    unlock();
    in_hook = 0;
}

static void untrack(void *p) {
    // in_hook: a free made by the tracker itself (backtrace, qsort under the lock) is never tracked
    if (p == NULL || table == NULL || in_hook) {
        return;
    }
    lock();
    size_t h = hash((uintptr_t)p);
    while (table[h].ptr != 0) {
        if (table[h].ptr == (uintptr_t)p) {
            sites[table[h].site].count--;
            sites[table[h].site].bytes -= table[h].size;
            sites[table[h].site].req -= table[h].req;
            live_req -= table[h].req;
            live_bytes -= table[h].size;
            live_count--;
            table[h].ptr = 1;
            break;
        }
        h = (h + 1) & (TABLE_SIZE - 1);
    }
    unlock();
}

static int find_lib(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    const char *want = (const char *)data;
    if (info->dlpi_name == NULL || strstr(info->dlpi_name, want) == NULL) {
        return 0;
    }
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_LOAD) {
            continue;
        }
        uintptr_t a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
        if (a < lo) lo = a;
        if (a + info->dlpi_phdr[i].p_memsz > hi) hi = a + info->dlpi_phdr[i].p_memsz;
    }
    lib_lo = info->dlpi_addr; // offsets are relative to the load base, as readelf shows them
    lib_hi = hi;
    (void)lo;
    return 1;
}

static void out(int fd, const char *s) { (void)!write(fd, s, strlen(s)); }

static int cmp_uptr(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

// Resident pages among those the live tracked allocations cover (each page counted once).
static long resident_pages(long *covered) {
    long page = sysconf(_SC_PAGESIZE);
    size_t cap = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        if (table[i].ptr > 1) {
            cap += table[i].size / page + 2;
        }
    }
    uintptr_t *pages = mmap(NULL, (cap + 1) * sizeof(uintptr_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t n = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        if (table[i].ptr > 1) {
            uintptr_t a = table[i].ptr & ~(uintptr_t)(page - 1);
            uintptr_t end = table[i].ptr + table[i].size;
            for (; a < end; a += page) {
                pages[n++] = a;
            }
        }
    }
    qsort(pages, n, sizeof(uintptr_t), cmp_uptr);
    long res = 0, cov = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && pages[i] == pages[i - 1]) {
            continue;
        }
        cov++;
        unsigned char v = 0;
        if (mincore((void *)pages[i], page, &v) == 0 && (v & 1)) {
            res++;
        }
    }
    munmap(pages, (cap + 1) * sizeof(uintptr_t));
    *covered = cov;
    return res;
}

// Resident pages inside the allocations of one site (pages shared with neighbours included).
static long site_resident(uint32_t s, long *covered) {
    long page = sysconf(_SC_PAGESIZE);
    long res = 0, cov = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        if (table[i].ptr > 1 && table[i].site == s) {
            uintptr_t a = table[i].ptr & ~(uintptr_t)(page - 1);
            uintptr_t end = table[i].ptr + table[i].size;
            for (; a < end; a += page) {
                unsigned char v = 0;
                cov++;
                if (mincore((void *)a, page, &v) == 0 && (v & 1)) {
                    res++;
                }
            }
        }
    }
    *covered = cov;
    return res;
}

static void marker(unsigned long k) {
    in_hook = 1;
    if (table == NULL) {
        const char *want = getenv("MALLTRACK_LIB");
        dl_iterate_phdr(find_lib, (void *)(want ? want : "conscrypt"));
        void *warm[4];
        backtrace(warm, 4); // loads the unwinder now, not inside a tracked call
        table = mmap(NULL, TABLE_SIZE * sizeof(slot_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    const char *path = getenv("MALLTRACK_OUT");
    int fd = open(path ? path : "/tmp/malltrack.out", O_WRONLY | O_CREAT | O_APPEND, 0644);
    char buf[512];
    lock();
    long cov = 0;
    long res = resident_pages(&cov);
    snprintf(buf, sizeof buf, "MARK %lu live_bytes %ld live_req %ld live_count %ld pages_covered %ld pages_resident %ld lib %lx-%lx\n",
            k, live_bytes, live_req, live_count, cov, res, (unsigned long)lib_lo, (unsigned long)lib_hi);
    out(fd, buf);
    for (int i = 0; i < nsites; i++) {
        if (sites[i].count == 0) {
            continue;
        }
        long scov = 0;
        long sres = site_resident((uint32_t)i, &scov);
        snprintf(buf, sizeof buf, "SITE %d outer %lx inner %lx %lx %lx %lx count %ld bytes %ld req %ld last %ld pages %ld resident %ld\n",
                i, (unsigned long)sites[i].outer, (unsigned long)sites[i].inner[0], (unsigned long)sites[i].inner[1],
                (unsigned long)sites[i].inner[2], (unsigned long)sites[i].inner[3], sites[i].count, sites[i].bytes, sites[i].req,
                sites[i].last_size, scov, sres);
        out(fd, buf);
    }
    unlock();
    close(fd);
    in_hook = 0;
}

void *malloc(size_t n) {
    if (n >= MARK_BASE && n < MARK_BASE + MARK_SPAN) {
        marker((n - MARK_BASE) / 8); // the JVM rounds a size up to 8
        return __libc_malloc(16); // the probe frees it at once and never touches it
    }
    void *p = __libc_malloc(n);
    track(p, n, (uintptr_t)__builtin_return_address(0));
    return p;
}

void *calloc(size_t a, size_t b) {
    void *p = __libc_calloc(a, b);
    track(p, a * b, (uintptr_t)__builtin_return_address(0));
    return p;
}

void *realloc(void *old, size_t n) {
    if (old != NULL) {
        untrack(old);
    }
    void *p = __libc_realloc(old, n);
    track(p, n, (uintptr_t)__builtin_return_address(0));
    return p;
}

void free(void *p) {
    untrack(p);
    __libc_free(p);
}
