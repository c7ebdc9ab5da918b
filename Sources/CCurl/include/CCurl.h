#ifndef SFSH_CCURL_H
#define SFSH_CCURL_H

#include <curl/curl.h>
#include <stddef.h>

// libcurl is loaded when the first request needs it (dlopen), not when sfsh starts: it brings some thirty shared
// libraries (TLS, Kerberos, LDAP, SSH …) whose loading and relocation were a fifth of `sfsh -c help` (issue 25).
// Every libcurl function sfsh calls goes through these wrappers; they answer as libcurl does when it is missing
// (a NULL handle, CURLE_FAILED_INIT), and `sfsh_curl_load_error` says why.

/// Loads libcurl once (thread-safe); 0 when it is there.
int sfsh_curl_load(void);
/// Why libcurl could not be loaded (NULL when it was).
const char *sfsh_curl_load_error(void);

CURLcode sfsh_curl_global_init(long flags);
CURL *sfsh_curl_easy_init(void);
void sfsh_curl_easy_cleanup(CURL *handle);
void sfsh_curl_easy_reset(CURL *handle);
CURLcode sfsh_curl_easy_perform(CURL *handle);
const char *sfsh_curl_easy_strerror(CURLcode code);
struct curl_slist *sfsh_curl_slist_append(struct curl_slist *list, const char *text);
void sfsh_curl_slist_free_all(struct curl_slist *list);

// Typed wrappers: curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call. Each wrapper fixes
// the argument type libcurl expects.

/// For options that take a `long` (timeouts, flags, HTTP version).
CURLcode sfsh_curl_set_long(CURL *handle, CURLoption option, long value);
/// For options that take a `char *` (URL, method, encoding); libcurl copies the string.
CURLcode sfsh_curl_set_string(CURL *handle, CURLoption option, const char *value);
/// For options that take a `curl_off_t` (POSTFIELDSIZE_LARGE).
CURLcode sfsh_curl_set_off(CURL *handle, CURLoption option, curl_off_t value);
/// For options that take a data pointer (WRITEDATA, HEADERDATA, POSTFIELDS, HTTPHEADER).
CURLcode sfsh_curl_set_pointer(CURL *handle, CURLoption option, void *value);

typedef size_t (*sfsh_curl_data_fn)(char *data, size_t size, size_t count, void *context);

/// For WRITEFUNCTION / HEADERFUNCTION / READFUNCTION callbacks.
CURLcode sfsh_curl_set_callback(CURL *handle, CURLoption option, sfsh_curl_data_fn value);
typedef int (*sfsh_curl_progress_fn)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                                     curl_off_t ulnow);

/// For XFERINFOFUNCTION: a non-zero answer aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
CURLcode sfsh_curl_set_progress(CURL *handle, sfsh_curl_progress_fn value);
/// For infos that answer a `long` (RESPONSE_CODE).
CURLcode sfsh_curl_get_long(CURL *handle, CURLINFO info, long *value);

#endif
