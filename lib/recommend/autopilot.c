/*
 * recommend/autopilot.c - PLACEHOLDER being written (issue #4); replaced by the
 * real autopilot online recommender.
 */
#include "recommend/online_int.h"

static ag_err init(ag_online *r)
{
    (void)r;
    return AG_EINVAL;
}

const ag__online_ops ag__online_autopilot_ops = {init, NULL, NULL, NULL, NULL};
