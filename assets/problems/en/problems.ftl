### The service's words about problems, in English. Each message's id is the `code` of an error
### entry, and its variables are the problem's `params`. The Chinese catalogue beside this one has
### the same messages with the same variables (a test checks it).

## Fields

too_long = must be at most { $max_length } characters
too_short = must be at least { $min_length } characters
length_between = must be { $min_length } to { $max_length } characters
required = must not be empty
missing = is required
control_characters = must not contain control characters
control_characters_multi_line = must not contain control characters other than tabs and line breaks
out_of_range = must be between { $min } and { $max }
document_no_characters = may contain only letters, digits and '-'

## Whole requests

fields_invalid = { $count ->
    [one] 1 field is invalid
   *[other] { $count } fields are invalid
  }
manifest_problems = { $count ->
    [one] 1 problem in the manifest; nothing was imported
   *[other] { $count } problems in the manifest; nothing was imported
  }
role_may_not = your role may not do this
not_found = { $resource } not found
rate_limited = too many attempts; try again in { $retry_after_secs } s
internal = an unexpected error occurred
duplicate = a resource with the same unique value already exists
concurrent_change = a concurrent change touched the same data; retry
database_unavailable = the database is unavailable
database_busy = the database is busy
database_not_ready = the database is not ready yet
instance_stopping = this instance is stopping; another one answers
body_too_large = the request body is larger than { $max_bytes } bytes
body_not_json = the request body must be application/json
invalid_json = invalid JSON body: { $reason }
invalid_body = invalid request body: { $reason }
body_unreadable = cannot read the body: { $reason }
invalid_query = invalid query parameters: { $reason }
query_control_characters = query parameters must not contain control characters
invalid_cursor = invalid cursor
invalid_idempotency_key = Idempotency-Key must be 1 to { $max_length } visible ASCII characters
idempotency_key_reused = this Idempotency-Key was used for a different request
method_not_allowed = { $method } is not served here; allowed: { $allow }

## States

wrong_status = a { $resource } that is { $status } cannot { $action ->
    [edit_travellers] change its travellers
    [assign_vehicle] change its vehicle
    [record_boarding] record boarding
    [join_batch] join a batch
    [leave_batch] leave a batch
    [receive_at_district] be received by a district
    [receive_at_community] be received by a community
    [record_exception] get an exception
    [confirm] be confirmed
    [reject] be rejected
    [cancel] be cancelled
    [assign] be assigned
    [release] be released
    [disinfect] be disinfected
   *[other] { $action }
}
handoff_locked = the handoff is locked after too many wrong codes; the sender must cancel and hand again
vehicle_out_of_service = the vehicle is out of service
traveller_not_in_handoff = traveller { $traveller_id } is not part of this handoff
traveller_listed_twice = traveller { $traveller_id } is listed twice

## Requests and rules

airport_code_format = an airport's code is its three-letter IATA code, in capitals
batch_needs = { $missing ->
    [vehicle] the batch has no vehicle
    [driver] the batch has no driver in its crew
   *[other] { $missing }
}
batch_one_city = travellers of one batch must be bound for one city
cannot_demote_self = you cannot demote or deactivate yourself
capacity_exceeded = vehicle { $plate } has { $seats } seats; { $travellers } travellers and { $crew } crew need { $needed }
cell_error = the cell holds an error ({ $error })
cell_too_long = longer than { $max_bytes } bytes
changed_concurrently = the { $resource } was changed by another request; retry
city_has_no_parent = a city has no parent
column_missing = the required column { $column } ({ $heading }) is missing
column_twice = this column appears twice
csv_encoding = the CSV is neither UTF-8 nor GB18030 text
csv_not_utf8 = the CSV is not valid UTF-8: { $reason }
database_timeout = the database did not answer in time
date_unreadable = the date cannot be read
document_open_transfer = { $document_type } { $document_no } already has an open transfer
document_twice_in_manifest = appears twice in this manifest
flight_no_format = must be 2 to 10 letters and digits, e.g. MU5001
from_after_to = must not be after to
handoff_one_custodian = all travellers of one handoff must be held by the same unit
before_handoff = must not be before the handoff was offered ({ $created_at })
in_future = must not be in the future
last_event_id = Last-Event-ID must be a sequence number
manifest_media_type = a manifest is { $allowed }
manifest_unreadable = the manifest cannot be read
metrics_token = this scrape needs the metrics token
missing_token = missing bearer token
nationality_format = must be an ISO 3166-1 alpha-3 code, e.g. CHN
needs_parent = a { $level } needs a parent
no_community_with_code = no community with the code or name { $code } in your jurisdiction
no_header_row = the manifest has no header row
no_home_unit = the account has no usable home unit
no_port_with_code = no port of entry with the code or name { $code }
no_rows = the manifest has no rows
no_sheet = the workbook has no sheet
no_such_port = no such port of entry
no_such_traveller = no traveller { $traveller_id }
no_such_unit = no such unit
no_such_vehicle_of_city = no such vehicle of this batch's city
no_travellers = must name at least one traveller
not_a_city_of_yours = must be a city in your jurisdiction
not_a_community_of_yours = must be a community in your jurisdiction
not_a_day = not a day of the calendar
not_an_existing_unit = must be an existing { $level }
not_in_custody = these travellers are not in your unit's custody
not_xlsx = this is not an XLSX workbook (a zip file); send CSV as text/csv
nothing_to_change = name travellers to add or remove
one_of = must be one of { $allowed }
open_transfer = already has an open transfer
period_too_long = a period of at most { $max_years } years
phone_format = must be 5 to 32 digits, spaces or dashes
phone_format_plus = must be 5 to 32 digits, with an optional leading +, spaces or dashes
plate_taken = a vehicle with plate { $plate } is already registered
port_code_format = must be 2 to 10 capital letters or digits
port_code_taken = port code { $code } is already taken
receiver_only = only an officer of the receiving unit may confirm or reject a handoff
refresh_invalid = invalid or expired refresh token
refresh_reused = this refresh token was already used; every session of the account has been ended
role_needs_unit = a user with role { $role } needs { $level ->
            [none] no unit
            [city] a city
            [district] a district
            [community] a community
            [any] a unit of any level
           *[other] { $level }
    }
roster_interrupted = the roster's reading stopped before its end
row_unreadable = unreadable: { $reason }
sender_only = only the sending unit may cancel or reissue a handoff
time_format = must be a date and time, e.g. 2020-03-07T09:30:00Z, or 2020-03-07 17:30 in local time
token_invalid = invalid or expired access token
token_revoked = the token has been revoked
too_many_cells = the manifest holds more than { $max_cells } cells
too_many_crew = at most { $max_items } members
too_many_manifest_rows = at most { $max_rows } rows per manifest
too_many_rows_for_xlsx = { $rows } rows are more than a worksheet holds ({ $max_rows }); ask for CSV or a shorter period
too_many_travellers = at most { $max_items } travellers
too_wide = values beyond column { $max_columns }; a manifest has { $columns } columns
traveller_added_and_removed = traveller { $traveller_id } is both added and removed
traveller_in_both_lists = traveller { $traveller_id } is in both lists
traveller_in_neither_list = traveller { $traveller_id } is in neither list
traveller_in_open_batch = traveller { $traveller_id } is already in an open batch
traveller_left_loop = traveller { $traveller_id } already left the loop with an exception
traveller_not_awaiting = traveller { $traveller_id } is { $status }, not awaiting transfer
traveller_not_in_batch = traveller { $traveller_id } is not in this batch
traveller_not_in_custody = the traveller is not in your unit's custody
traveller_not_ready = traveller { $traveller_id } is { $status }, not { $ready }
traveller_offered = traveller { $traveller_id } is already offered in a pending handoff
traveller_offered_pending = the traveller is offered in a pending handoff; the receiver confirms or rejects it, or the sender cancels or reissues it, first
traveller_other_city = traveller { $traveller_id } is bound for another city
traveller_other_port = traveller { $traveller_id } arrived at another port
unit_code_format = must be 1 to 32 upper-case letters, digits, '-' or '_'
unit_code_taken = unit code { $code } is already taken
unit_not_directly_below = must be a unit directly below the unit holding the travellers
unknown_column = unknown column
unknown_user = unknown user
username_format = must be 3 to 64 lower-case letters, digits, '.', '-' or '_'
username_taken = username { $username } is already taken
vehicle_in_status = vehicle { $plate } is { $status }
vehicle_on_trip = a vehicle that is { $status } cannot change seats or service until its trip ends
wrong_code = wrong handoff code; { $tries_left } attempts left before the handoff locks
wrong_code_now_locked = wrong handoff code; the handoff is now locked and the sender must cancel and hand again
wrong_credentials = invalid username or password
wrong_password = the current password is wrong
xls_file = this is an Excel 97-2003 (.xls) file, which is not read; save it as .xlsx or CSV
xlsx_too_large = the XLSX workbook unpacks to more than { $max_mib } MiB
xlsx_too_many_files = the XLSX workbook holds too many files (more than { $max_files })
xlsx_too_much_text = the workbook holds more than { $max_mib } MiB of text
xlsx_unreadable = the XLSX workbook cannot be read: { $reason }
zip_sent_as_csv = this is a zip file, such as an XLSX workbook, sent as text/csv; send a workbook as { $content_type }
time_needs_offset = must be a date and time with its offset, e.g. 2020-03-07T09:30:00Z or 2020-03-07T17:30:00+08:00
did_not_board = did not board batch { $batch_code }

## Loose ends: what is wrong and what to do

loose_end_missing = { $count ->
    [one] 1 person was
   *[other] { $count } people were
  } left out when { $to } confirmed the handoff: hand them again, or record an exception
loose_end_rejected = { $to } rejected the handoff ({ $reason }): hand the { $count ->
    [one] person
   *[other] { $count } people
  } again, to a corrected unit if need be, or record an exception
loose_end_locked = the handoff to { $to } is locked by wrong codes: reissue it with a new code, or cancel it; { $to } answers on { $hotline }
loose_end_overdue = the handoff from { $from } to { $to } is past due: { $to } should confirm it; { $from } answers on { $hotline }
loose_end_waiting = { $count ->
    [one] 1 person has
   *[other] { $count } people have
  } waited at { $port } longer than { $minutes } minutes: plan a batch
no_hotline = no hotline on record
document_type_written = must be a document type: passport (护照), id_card (身份证), travel_permit (港澳通行证, 台胞证) or other (其他)
nationality_written = must be a country or region: its ISO code (CHN, CN) or its name (China, 中国)
name_matches_several = { $value } names more than one: { $codes }; write the code
xlsx_too_many_strings = the workbook holds more than { $max_strings } shared strings, more than a manifest needs
