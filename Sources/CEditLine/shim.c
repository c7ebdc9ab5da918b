#include "CEditLine.h"

#include <errno.h>
#include <pthread.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sfsh_editor {
    EditLine *el;
    History *history;
    HistEvent event;
    char *prompt;
    void *context;
};

static char *prompt_function(EditLine *el) {
    sfsh_editor *editor = NULL;
    el_get(el, EL_CLIENTDATA, &editor);
    return (editor && editor->prompt) ? editor->prompt : "";
}

sfsh_editor *sfsh_editor_create(const char *program, void *context, sfsh_complete_fn complete) {
    // libedit decodes multibyte input per LC_CTYPE; without it, UTF-8 shows as octal.
    const char *locale = setlocale(LC_CTYPE, "");
    if (locale == NULL || strcmp(locale, "C") == 0 || strcmp(locale, "POSIX") == 0) {
        setlocale(LC_CTYPE, "C.UTF-8");
    }
    sfsh_editor *editor = calloc(1, sizeof *editor);
    if (editor == NULL) return NULL;
    editor->context = context;
    editor->prompt = strdup("");
    editor->el = el_init(program, stdin, stdout, stderr);
    if (editor->el == NULL) {
        free(editor->prompt);
        free(editor);
        return NULL;
    }
    editor->history = history_init();
    history(editor->history, &editor->event, H_SETSIZE, 1000);
    history(editor->history, &editor->event, H_SETUNIQUE, 1);

    el_set(editor->el, EL_CLIENTDATA, editor);
    el_set(editor->el, EL_EDITOR, "emacs");
    el_set(editor->el, EL_PROMPT, prompt_function);
    el_set(editor->el, EL_HIST, history, editor->history);
    if (complete != NULL) {
        el_set(editor->el, EL_ADDFN, "sfsh-complete", "Complete sfsh commands and names", complete);
        el_set(editor->el, EL_BIND, "^I", "sfsh-complete", NULL);
    }
    // ~/.editrc last, so the user's own bindings override ours.
    el_source(editor->el, NULL);
    return editor;
}

void sfsh_editor_destroy(sfsh_editor *editor) {
    if (editor == NULL) return;
    el_end(editor->el);
    history_end(editor->history);
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
    return el_gets(editor->el, count);
}

void sfsh_editor_reset_line(sfsh_editor *editor) {
    // Deleting from the start to the end of the buffer keeps libedit's state sane;
    // el_reset would also reset the tty modes.
    const LineInfo *info = el_line(editor->el);
    if (info != NULL && info->lastchar > info->buffer) {
        el_cursor(editor->el, (int)(info->lastchar - info->cursor));
        el_deletestr(editor->el, (int)(info->lastchar - info->buffer));
    }
    el_reset(editor->el);
}

void sfsh_editor_history_add(sfsh_editor *editor, const char *line) {
    history(editor->history, &editor->event, H_ENTER, line);
}

void sfsh_editor_history_set_size(sfsh_editor *editor, int size) {
    history(editor->history, &editor->event, H_SETSIZE, size);
}

void *sfsh_editor_context(EditLine *el) {
    sfsh_editor *editor = NULL;
    el_get(el, EL_CLIENTDATA, &editor);
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
