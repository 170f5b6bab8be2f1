#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H

// SwiftPM drops pkg-config's defines; without these the wide-character API disappears.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <curses.h>
#include <term.h>

// Swift cannot import function-like macros or C globals safely; these accessors stand in for them.
static inline WINDOW *shim_stdscr(void) { return stdscr; }
static inline WINDOW *shim_curscr(void) { return curscr; }
static inline int shim_lines(void) { int y, x; getmaxyx(stdscr, y, x); (void)x; return y; }
static inline int shim_cols(void) { int y, x; getmaxyx(stdscr, y, x); (void)y; return x; }
static inline attr_t shim_a_bold(void) { return A_BOLD; }
static inline attr_t shim_a_reverse(void) { return A_REVERSE; }
static inline attr_t shim_a_dim(void) { return A_DIM; }
static inline attr_t shim_a_underline(void) { return A_UNDERLINE; }
static inline attr_t shim_color_pair(short pair) { return COLOR_PAIR(pair); }
static inline mmask_t shim_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t shim_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t shim_button4_pressed(void) { return BUTTON4_PRESSED; }
#ifdef BUTTON5_PRESSED
static inline mmask_t shim_button5_pressed(void) { return BUTTON5_PRESSED; }
#else
static inline mmask_t shim_button5_pressed(void) { return 0; }
#endif
static inline mmask_t shim_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }
static inline int shim_colors(void) { return COLORS; }

// 0 when $TERM can run a full-screen interface, 1 when terminfo does not know it, 2 when it cannot address the cursor.
static inline int shim_terminal_problem(void) {
    int error = 0;
    TERMINAL *previous = cur_term;
    if (setupterm(NULL, 1, &error) != OK) return 1;
    const char *cup = tigetstr("cup");
    int usable = cup != NULL && cup != (const char *)-1;
    TERMINAL *probe = set_curterm(previous);
    if (probe != NULL) del_curterm(probe);
    return usable ? 0 : 2;
}

#endif
