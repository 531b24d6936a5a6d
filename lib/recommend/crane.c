/*
 * recommend/crane.c - PLACEHOLDER being written (issue #4); replaced by the
 * real crane online recommender.
 */
#include "recommend/online_int.h"

static ag_err init(ag_online *r)
{
    (void)r;
    return AG_EINVAL;
}

const ag__online_ops ag__online_crane_ops = {init, NULL, NULL, NULL, NULL};
