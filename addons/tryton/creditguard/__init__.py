# This file is part of Credit Guard.  Licensed under the LGPL-3.0-or-later.
