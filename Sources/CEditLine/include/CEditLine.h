#ifndef SFSH_CEDITLINE_H
#define SFSH_CEDITLINE_H

#include <histedit.h>

/// An EditLine with its History, created in C because el_init needs the C
/// stdio globals (stdin/stdout/stderr), which Swift 6 refuses to touch.
typedef struct sfsh_editor sfsh_editor;

/// Called from libedit when TAB is pressed; returns a CC_* code.
typedef unsigned char (*sfsh_complete_fn)(EditLine *el, int ch);

/// Creates the editor (NULL when libedit cannot be loaded: it is loaded here, on first use): emacs keys, the given completion function bound to TAB,
/// then ~/.editrc read last so the user's bindings win. `context` is handed back
/// by sfsh_editor_context inside the completion callback.
sfsh_editor *sfsh_editor_create(const char *program, void *context, sfsh_complete_fn complete);
void sfsh_editor_destroy(sfsh_editor *editor);

/// The prompt libedit shows on the next read (copied).
void sfsh_editor_set_prompt(sfsh_editor *editor, const char *prompt);

/// Reads one line. Returns NULL at end of input (count 0) or on an error
/// such as EINTR after Ctrl-C (count -1, errno set).
const char *sfsh_editor_gets(sfsh_editor *editor, int *count);

/// Clears the edit buffer (after Ctrl-C interrupted a read).
void sfsh_editor_reset_line(sfsh_editor *editor);

/// Adds an entry to the in-memory history (H_ENTER is variadic).
void sfsh_editor_history_add(sfsh_editor *editor, const char *line);
/// Sets how many entries the in-memory history keeps (H_SETSIZE is variadic).
void sfsh_editor_history_set_size(sfsh_editor *editor, int size);

/// el_line, el_insertstr and el_deletestr of the loaded libedit (for the completion callback).
const LineInfo *sfsh_el_line(EditLine *el);
int sfsh_el_insertstr(EditLine *el, const char *text);
void sfsh_el_deletestr(EditLine *el, int count);

/// The context given at creation, from inside a libedit callback.
void *sfsh_editor_context(EditLine *el);

/// Marks the calling thread as the one that reads input, so SIGINT reaches
/// its blocked read (sfsh_editor_gets does this itself).
void sfsh_mark_reader_thread(void);

/// Installs a SIGINT handler without SA_RESTART so a blocked read returns EINTR.
void sfsh_install_sigint_handler(void);
/// Returns whether SIGINT arrived since the last call, and clears the flag.
int sfsh_take_sigint(void);
/// Whether Ctrl-C was pressed and not yet taken (read from any thread; does not clear it).
int sfsh_sigint_pending(void);

#endif
