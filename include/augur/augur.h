/* augur/augur.h - the whole public API of libaugur. */
#ifndef AUGUR_AUGUR_H
#define AUGUR_AUGUR_H

#define AG_VERSION "0.1.0"

#include "augur/err.h"
#include "augur/util.h"
#include "augur/series.h"
#include "augur/source.h"
#include "augur/store.h"
#include "augur/recommend.h"
#include "augur/online.h"
#include "augur/update.h"
#include "augur/sim.h"
#include "augur/synth.h"
#include "augur/forecast.h"
#include "augur/report.h"
#include "augur/config.h"

#endif
