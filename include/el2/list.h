/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Doubly linked lists, kernel style.  The EL2 core validates a node's
 * neighbours before unlinking it (like CONFIG_DEBUG_LIST): a corrupt list
 * panics the hypervisor instead of scribbling through a wild pointer.
 */
#ifndef EL2_LIST_H
#define EL2_LIST_H

#include "el2/bug.h"
#include "el2/types.h"

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	WRITE_ONCE(list->next, list);
	list->prev = list;
}

static inline bool list_empty(const struct list_head *head)
{
	return READ_ONCE(head->next) == head;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	WRITE_ONCE(prev->next, new);
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void __list_del_entry(struct list_head *entry)
{
	struct list_head *prev = entry->prev, *next = entry->next;

	if (unlikely(prev->next != entry || next->prev != entry))
		hyp_panic_list(entry, prev, next);
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
}

static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

#endif /* EL2_LIST_H */
