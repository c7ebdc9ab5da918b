#ifndef SFSH_CCURL_H
#define SFSH_CCURL_H

#include <curl/curl.h>
#include <stddef.h>

// Typed wrappers: curl_easy_setopt and curl_easy_getinfo are variadic, which
// Swift cannot call. Each wrapper fixes the argument type libcurl expects.

/// For options that take a `long` (timeouts, flags, HTTP version).
static inline CURLcode sfsh_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
/// For options that take a `char *` (URL, method, encoding); libcurl copies the string.
static inline CURLcode sfsh_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
/// For options that take a `curl_off_t` (POSTFIELDSIZE_LARGE).
static inline CURLcode sfsh_curl_set_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
/// For options that take a data pointer (WRITEDATA, HEADERDATA, POSTFIELDS, HTTPHEADER).
static inline CURLcode sfsh_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*sfsh_curl_data_fn)(char *data, size_t size, size_t count, void *context);

/// For WRITEFUNCTION / HEADERFUNCTION / READFUNCTION callbacks.
static inline CURLcode sfsh_curl_set_callback(CURL *handle, CURLoption option, sfsh_curl_data_fn value) {
    return curl_easy_setopt(handle, option, value);
}
typedef int (*sfsh_curl_progress_fn)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                                     curl_off_t ulnow);

/// For XFERINFOFUNCTION: a non-zero answer aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
static inline CURLcode sfsh_curl_set_progress(CURL *handle, sfsh_curl_progress_fn value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}
/// For infos that answer a `long` (RESPONSE_CODE).
static inline CURLcode sfsh_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
/// For infos that answer a `double` (TOTAL_TIME).
static inline CURLcode sfsh_curl_get_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}
/// For infos that answer a `char *` (EFFECTIVE_URL, CONTENT_TYPE).
static inline CURLcode sfsh_curl_get_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
