#include "CEditLine.h"

#include <errno.h>
#include <pthread.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>

// libedit is loaded when an interactive session makes its editor (dlopen), not when sfsh starts: scripts, `-c` and
// pipes never read a line through it, and it brings three more libraries (issue 25). Without it, creating the
// editor fails and the shell reads lines plainly.
static struct {
    EditLine *(*init)(const char *, FILE *, FILE *, FILE *);
    void (*end)(EditLine *);
    int (*set)(EditLine *, int, ...);
    int (*get)(EditLine *, int, ...);
    const char *(*gets)(EditLine *, int *);
    const LineInfo *(*line)(EditLine *);
    int (*insertstr)(EditLine *, const char *);
    void (*deletestr)(EditLine *, int);
    void (*cursor)(EditLine *, int);
    void (*reset)(EditLine *);
    int (*source)(EditLine *, const char *);
    History *(*history_init)(void);
    void (*history_end)(History *);
    int (*history)(History *, HistEvent *, int, ...);
} edit;

static pthread_once_t edit_once = PTHREAD_ONCE_INIT;
static int edit_loaded;

static void load_edit(void) {
    void *library = dlopen("libedit.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libedit.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
#define RESOLVE(field, name) \
    *(void **)(&edit.field) = dlsym(library, name); \
    if (!edit.field) return;
    RESOLVE(init, "el_init")
    RESOLVE(end, "el_end")
    RESOLVE(set, "el_set")
    RESOLVE(get, "el_get")
    RESOLVE(gets, "el_gets")
    RESOLVE(line, "el_line")
    RESOLVE(insertstr, "el_insertstr")
    RESOLVE(deletestr, "el_deletestr")
    RESOLVE(cursor, "el_cursor")
    RESOLVE(reset, "el_reset")
    RESOLVE(source, "el_source")
    RESOLVE(history_init, "history_init")
    RESOLVE(history_end, "history_end")
    RESOLVE(history, "history")
#undef RESOLVE
    edit_loaded = 1;
}

const LineInfo *sfsh_el_line(EditLine *el) { return edit.line(el); }
int sfsh_el_insertstr(EditLine *el, const char *text) { return edit.insertstr(el, text); }
void sfsh_el_deletestr(EditLine *el, int count) { edit.deletestr(el, count); }

struct sfsh_editor {
    EditLine *el;
    History *history;
    HistEvent event;
    char *prompt;
    void *context;
};

static char *prompt_function(EditLine *el) {
    sfsh_editor *editor = NULL;
    edit.get(el, EL_CLIENTDATA, &editor);
    return (editor && editor->prompt) ? editor->prompt : "";
}

sfsh_editor *sfsh_editor_create(const char *program, void *context, sfsh_complete_fn complete) {
    // libedit decodes multibyte input per LC_CTYPE; without it, UTF-8 shows as octal.
    const char *locale = setlocale(LC_CTYPE, "");
    if (locale == NULL || strcmp(locale, "C") == 0 || strcmp(locale, "POSIX") == 0) {
        setlocale(LC_CTYPE, "C.UTF-8");
    }
    pthread_once(&edit_once, load_edit);
    if (!edit_loaded) return NULL;
    sfsh_editor *editor = calloc(1, sizeof *editor);
    if (editor == NULL) return NULL;
    editor->context = context;
    editor->prompt = strdup("");
    editor->el = edit.init(program, stdin, stdout, stderr);
    if (editor->el == NULL) {
        free(editor->prompt);
        free(editor);
        return NULL;
    }
    editor->history = edit.history_init();
    edit.history(editor->history, &editor->event, H_SETSIZE, 1000);
    edit.history(editor->history, &editor->event, H_SETUNIQUE, 1);

    edit.set(editor->el, EL_CLIENTDATA, editor);
    edit.set(editor->el, EL_EDITOR, "emacs");
    edit.set(editor->el, EL_PROMPT, prompt_function);
    edit.set(editor->el, EL_HIST, edit.history, editor->history);
    if (complete != NULL) {
        edit.set(editor->el, EL_ADDFN, "sfsh-complete", "Complete sfsh commands and names", complete);
        edit.set(editor->el, EL_BIND, "^I", "sfsh-complete", NULL);
    }
    // ~/.editrc last, so the user's own bindings override ours.
    edit.source(editor->el, NULL);
    return editor;
}

void sfsh_editor_destroy(sfsh_editor *editor) {
    if (editor == NULL) return;
    edit.end(editor->el);
    edit.history_end(editor->history);
    free(editor->prompt);
    free(editor);
}

void sfsh_editor_set_prompt(sfsh_editor *editor, const char *prompt) {
    char *copy = strdup(prompt ? prompt : "");
    if (copy == NULL) return;
    free(editor->prompt);
    editor->prompt = copy;
}

static pthread_t reader_thread;
static volatile sig_atomic_t reader_thread_known = 0;

void sfsh_mark_reader_thread(void) {
    // Threads made by Foundation or Dispatch may start with signals blocked;
    // the reader must take SIGINT to get EINTR out of its read.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    reader_thread = pthread_self();
    reader_thread_known = 1;
}

const char *sfsh_editor_gets(sfsh_editor *editor, int *count) {
    sfsh_mark_reader_thread();
    return edit.gets(editor->el, count);
}

void sfsh_editor_reset_line(sfsh_editor *editor) {
    // Deleting from the start to the end of the buffer keeps libedit's state sane;
    // el_reset would also reset the tty modes.
    const LineInfo *info = edit.line(editor->el);
    if (info != NULL && info->lastchar > info->buffer) {
        edit.cursor(editor->el, (int)(info->lastchar - info->cursor));
        edit.deletestr(editor->el, (int)(info->lastchar - info->buffer));
    }
    edit.reset(editor->el);
}

void sfsh_editor_history_add(sfsh_editor *editor, const char *line) {
    edit.history(editor->history, &editor->event, H_ENTER, line);
}

void sfsh_editor_history_set_size(sfsh_editor *editor, int size) {
    edit.history(editor->history, &editor->event, H_SETSIZE, size);
}

void *sfsh_editor_context(EditLine *el) {
    sfsh_editor *editor = NULL;
    edit.get(el, EL_CLIENTDATA, &editor);
    return editor ? editor->context : NULL;
}

static volatile sig_atomic_t sigint_flag = 0;

static void on_sigint(int signo) {
    // The kernel may deliver SIGINT to any thread; only the one blocked in a
    // read gets EINTR, so pass the signal on to it.
    if (reader_thread_known && !pthread_equal(pthread_self(), reader_thread)) {
        pthread_kill(reader_thread, signo);
        return;
    }
    sigint_flag = 1;
}

void sfsh_install_sigint_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: a blocked read must return EINTR
    sigaction(SIGINT, &action, NULL);
}

int sfsh_sigint_pending(void) {
    return sigint_flag;
}

int sfsh_take_sigint(void) {
    int was = sigint_flag;
    sigint_flag = 0;
    return was;
}
