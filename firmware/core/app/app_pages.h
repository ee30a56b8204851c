/* app_pages.h — the two HTML pages the plug serves at "/" (docs/protocol.md §5.11, §9). */
#ifndef OBL_APP_PAGES_H
#define OBL_APP_PAGES_H

extern const char APP_STATUS_PAGE[];
extern const unsigned APP_STATUS_PAGE_LEN;
extern const char APP_SETUP_PAGE[];
extern const unsigned APP_SETUP_PAGE_LEN;

#endif
