// libcurl through dlopen: loaded on the first request, never at start-up (see CCurl.h).
#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void) {
    // The soname first (the runtime package), then the development link.
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *reason = dlerror();
        snprintf(load_error, sizeof load_error, "libcurl could not be loaded: %s", reason ? reason : "not found");
        return;
    }
#define RESOLVE(field, name)                                                                            \
    *(void **)(&curl.field) = dlsym(library, name);                                                     \
    if (!curl.field) {                                                                                  \
        snprintf(load_error, sizeof load_error, "libcurl has no %s: it is older than sfsh needs", name); \
        return;                                                                                         \
    }
    RESOLVE(global_init, "curl_global_init")
    RESOLVE(easy_init, "curl_easy_init")
    RESOLVE(easy_cleanup, "curl_easy_cleanup")
    RESOLVE(easy_reset, "curl_easy_reset")
    RESOLVE(easy_perform, "curl_easy_perform")
    RESOLVE(easy_strerror, "curl_easy_strerror")
    RESOLVE(easy_setopt, "curl_easy_setopt")
    RESOLVE(easy_getinfo, "curl_easy_getinfo")
    RESOLVE(slist_append, "curl_slist_append")
    RESOLVE(slist_free_all, "curl_slist_free_all")
#undef RESOLVE
    loaded = 1;
}

int sfsh_curl_load(void) {
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const char *sfsh_curl_load_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

CURLcode sfsh_curl_global_init(long flags) { return sfsh_curl_load() ? CURLE_FAILED_INIT : curl.global_init(flags); }
CURL *sfsh_curl_easy_init(void) { return sfsh_curl_load() ? NULL : curl.easy_init(); }
void sfsh_curl_easy_cleanup(CURL *handle) { if (loaded && handle) curl.easy_cleanup(handle); }
void sfsh_curl_easy_reset(CURL *handle) { if (loaded) curl.easy_reset(handle); }
CURLcode sfsh_curl_easy_perform(CURL *handle) { return loaded ? curl.easy_perform(handle) : CURLE_FAILED_INIT; }
const char *sfsh_curl_easy_strerror(CURLcode code) {
    return loaded ? curl.easy_strerror(code) : (load_error[0] ? load_error : "libcurl is not loaded");
}
struct curl_slist *sfsh_curl_slist_append(struct curl_slist *list, const char *text) {
    return loaded ? curl.slist_append(list, text) : list;
}
void sfsh_curl_slist_free_all(struct curl_slist *list) { if (loaded && list) curl.slist_free_all(list); }

CURLcode sfsh_curl_set_long(CURL *handle, CURLoption option, long value) {
    return loaded ? curl.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode sfsh_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return loaded ? curl.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode sfsh_curl_set_off(CURL *handle, CURLoption option, curl_off_t value) {
    return loaded ? curl.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode sfsh_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return loaded ? curl.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode sfsh_curl_set_callback(CURL *handle, CURLoption option, sfsh_curl_data_fn value) {
    return loaded ? curl.easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}
CURLcode sfsh_curl_set_progress(CURL *handle, sfsh_curl_progress_fn value) {
    return loaded ? curl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value) : CURLE_FAILED_INIT;
}
CURLcode sfsh_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return loaded ? curl.easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}
