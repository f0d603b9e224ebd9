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

/* As struct list_head in the kernel (include/linux/types.h). */
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

/* Link @node between @before and @after, which are adjacent. */
static inline void list_link_between(struct list_head *node, struct list_head *before,
				     struct list_head *after)
{
	node->prev = before;
	node->next = after;
	after->prev = node;
	WRITE_ONCE(before->next, node);
}

/* Insert @node right after @head (stack order). */
static inline void list_add(struct list_head *node, struct list_head *head)
{
	list_link_between(node, head, head->next);
}

/* Insert @node right before @head, at the end of the list (queue order). */
static inline void list_add_tail(struct list_head *node, struct list_head *head)
{
	list_link_between(node, head->prev, head);
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
