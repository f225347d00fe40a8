### 服务对问题的中文说明。每条消息的标识即错误条目的 `code`，其变量即问题的 `params`。
### 与英文目录的消息和变量一一对应（由测试检查）。

## 字段

too_long = 最多 { $max_length } 个字符
too_short = 至少 { $min_length } 个字符
length_between = 须为 { $min_length } 到 { $max_length } 个字符
required = 不能为空
missing = 必填
control_characters = 不能包含控制字符
control_characters_multi_line = 除制表符和换行外不能包含控制字符
out_of_range = 须在 { $min } 到 { $max } 之间
document_no_characters = 只能包含字母、数字和“-”

## 整个请求

fields_invalid = 有 { $count } 个字段不符合要求
manifest_problems = 名单中有 { $count } 处问题，未导入任何数据
role_may_not = 您的角色无权进行此操作
not_found = 找不到{ $resource ->
    [batch] 该批次
    [handoff] 该交接
    [traveller] 该人员
    [vehicle] 该车辆
    [unit] 该单位
    [port] 该入境口岸
    [user] 该用户
    [route] 该地址
   *[other] 该对象
}
rate_limited = 尝试次数过多，请 { $retry_after_secs } 秒后再试
internal = 发生了意外错误
duplicate = 已存在相同的唯一值
concurrent_change = 数据正被其他操作修改，请重试
database_unavailable = 数据库暂时不可用
database_busy = 数据库繁忙
database_not_ready = 数据库尚未就绪
instance_stopping = 本实例正在停止，请由其他实例处理
body_too_large = 请求内容大于 { $max_bytes } 字节
body_not_json = 请求内容须为 application/json
invalid_json = 请求内容不是有效的 JSON：{ $reason }
invalid_body = 无法读取请求内容：{ $reason }
body_unreadable = 无法读取请求内容：{ $reason }
invalid_query = 查询参数无效：{ $reason }
query_control_characters = 查询参数不能包含控制字符
invalid_cursor = 分页游标无效
invalid_idempotency_key = Idempotency-Key 须为 1 到 { $max_length } 个可见 ASCII 字符
idempotency_key_reused = 此 Idempotency-Key 已用于另一个请求
method_not_allowed = 此处不支持 { $method }；支持：{ $allow }

## 状态

wrong_status = { $resource ->
    [batch] 批次
    [handoff] 交接
    [traveller] 人员
    [vehicle] 车辆
   *[other] { $resource }
}当前状态为“{ $status ->
    [planned] 计划中
    [boarding] 登车中
    [in_transit] 在途
    [arrived] 已到达
    [closed] 已闭环
    [cancelled] 已撤销
    [pending] 待确认
    [confirmed] 已确认
    [rejected] 已拒收
    [awaiting_transfer] 待转运
    [assigned] 已编入批次
    [boarded] 已登车
    [at_district] 在区
    [received] 已接收
    [exception] 异常
    [available] 可用
    [needs_disinfection] 待消毒
   *[other] { $status }
}”，不能{ $action ->
    [edit_travellers] 修改人员
    [assign_vehicle] 更换车辆
    [record_boarding] 登记登车
    [depart] 出发
    [arrive] 到达
    [close] 闭环
    [join_batch] 编入批次
    [leave_batch] 移出批次
    [board] 登车
    [receive_at_district] 由区接收
    [receive_at_community] 由社区接收
    [record_exception] 登记异常
    [confirm] 确认
    [reject] 拒收
    [cancel] 撤销
    [assign] 指派
    [release] 释放
    [disinfect] 消毒
   *[other] { $action }
}
handoff_locked = 交接码错误次数过多，交接已锁定，须由移交方撤销后重新交接
vehicle_out_of_service = 该车辆已停用
traveller_not_in_handoff = 人员 { $traveller_id } 不在此交接中
traveller_listed_twice = 人员 { $traveller_id } 被列出了两次

## 请求与规则

airport_code_format = 机场口岸的编码是三位大写 IATA 代码
batch_needs = { $missing ->
    [vehicle] 该批次尚未指定车辆
    [driver] 该批次的随车人员中没有司机
   *[other] { $missing }
}
batch_one_city = 同一批次的人员必须前往同一城市
cannot_demote_self = 不能降低自己的角色，也不能停用自己的账号
capacity_exceeded = 车辆 { $plate } 有 { $seats } 个座位，{ $travellers } 名人员和 { $crew } 名随车人员共需 { $needed } 个座位
cell_error = 单元格中是错误值（{ $error }）
cell_too_long = 超过 { $max_bytes } 字节
changed_concurrently = 数据已被其他操作修改（{ $resource }），请重试
city_has_no_parent = 市级单位没有上级单位
column_missing = 缺少必需的列：{ $heading }（{ $column }）
column_twice = 此列出现了两次
csv_encoding = CSV 文件既不是 UTF-8 也不是 GB18030 编码的文本
csv_not_utf8 = CSV 文件不是有效的 UTF-8：{ $reason }
database_timeout = 数据库未能及时响应
date_unreadable = 无法识别日期
document_open_transfer = { $document_type ->
        [passport] 护照
        [id_card] 身份证
        [travel_permit] 通行证
       *[other] 证件
    } { $document_no } 已有尚未闭环的转运
document_twice_in_manifest = 在本名单中出现了两次
flight_no_format = 须为 2 到 10 位字母和数字，例如 MU5001
from_after_to = 不能晚于结束日期
handoff_one_custodian = 同一交接中的人员必须由同一单位管控
before_handoff = 不能早于交接发起时间（{ $created_at }）
in_future = 不能晚于当前时间
last_event_id = Last-Event-ID 须为序号
manifest_media_type = 名单须为以下格式之一：{ $allowed }
manifest_unreadable = 无法读取名单
metrics_token = 读取监控指标需要令牌
missing_token = 缺少访问令牌
nationality_format = 须为 ISO 3166-1 三位字母国家代码，例如 CHN
needs_parent = { $level ->
    [city] 市
    [district] 区
    [community] 社区
   *[other] { $level }
}级单位必须有上级单位
no_community_with_code = 您的辖区内没有代码或名称为 { $code } 的社区
no_header_row = 名单没有表头行
no_home_unit = 该账号没有可用的所属单位
no_port_with_code = 没有代码或名称为 { $code } 的入境口岸
no_rows = 名单中没有数据行
no_sheet = 工作簿中没有工作表
no_such_port = 没有这个入境口岸
no_such_traveller = 没有人员 { $traveller_id }
no_such_unit = 没有这个单位
no_such_vehicle_of_city = 本批次所属城市没有这辆车
no_travellers = 至少要有一名人员
not_a_city_of_yours = 须为您辖区内的市
not_a_community_of_yours = 须为您辖区内的社区
not_a_day = 不是有效的日期
not_an_existing_unit = 须为已有的{ $level ->
    [city] 市
    [district] 区
    [community] 社区
   *[other] { $level }
}级单位
not_in_custody = 这些人员不在本单位管控之下
not_xlsx = 这不是 XLSX 工作簿；CSV 文件请按 text/csv 上传
nothing_to_change = 请列出要加入或移出的人员
one_of = 须为以下之一：{ $allowed }
open_transfer = 已有尚未闭环的转运
period_too_long = 时间段最长为 { $max_years } 年
phone_format = 须为 5 到 32 位数字，可含空格或连字符
phone_format_plus = 须为 5 到 32 位数字，可用 + 开头，可含空格或连字符
plate_taken = 车牌号 { $plate } 已登记
port_code_format = 须为 2 到 10 位大写字母或数字
port_code_taken = 口岸编码 { $code } 已被使用
receiver_only = 只有接收单位的工作人员可以确认或拒收交接
refresh_invalid = 刷新令牌无效或已过期
refresh_reused = 此刷新令牌已被使用过，该账号的所有会话均已结束
role_needs_unit = 角色为“{ $role ->
            [admin] 管理员
            [dispatcher] 调度员
            [district_officer] 区工作人员
            [community_officer] 社区工作人员
            [viewer] 查看者
           *[other] { $role }
    }”的用户{ $level ->
            [none] 不能属于任何单位
            [city] 必须属于一个市
            [district] 必须属于一个区
            [community] 必须属于一个社区
            [any] 必须属于一个单位（市、区或社区均可）
           *[other] { $level }
    }
roster_interrupted = 名册读取未完成就中断了
row_unreadable = 无法读取：{ $reason }
sender_only = 只有移交单位可以撤销或重新签发交接
time_format = 须为日期和时间，例如 2020-03-07T09:30:00Z，或本地时间 2020-03-07 17:30
token_invalid = 访问令牌无效或已过期
token_revoked = 令牌已被撤销
too_many_cells = 名单超过 { $max_cells } 个单元格
too_many_crew = 最多 { $max_items } 人
too_many_manifest_rows = 每份名单最多 { $max_rows } 行
too_many_rows_for_xlsx = { $rows } 行超出一张工作表的容量（{ $max_rows }）；请改为下载 CSV，或缩短时间段
too_many_travellers = 最多 { $max_items } 人
too_wide = 第 { $max_columns } 列之后还有内容；名单只有 { $columns } 列
traveller_added_and_removed = 人员 { $traveller_id } 既被加入又被移出
traveller_in_both_lists = 人员 { $traveller_id } 同时出现在两个名单中
traveller_in_neither_list = 人员 { $traveller_id } 不在任何一个名单中
traveller_in_open_batch = 人员 { $traveller_id } 已在另一个进行中的批次中
traveller_left_loop = 人员 { $traveller_id } 已因异常情况离开闭环
traveller_not_awaiting = 人员 { $traveller_id } 当前状态为“{ $status ->
            [planned] 计划中
            [boarding] 登车中
            [in_transit] 在途
            [arrived] 已到达
            [closed] 已闭环
            [cancelled] 已撤销
            [pending] 待确认
            [confirmed] 已确认
            [rejected] 已拒收
            [awaiting_transfer] 待转运
            [assigned] 已编入批次
            [boarded] 已登车
            [at_district] 在区
            [received] 已接收
            [exception] 异常
            [available] 可用
            [needs_disinfection] 待消毒
           *[other] { $status }
    }”，不是待转运
traveller_not_in_batch = 人员 { $traveller_id } 不在本批次中
traveller_not_in_custody = 该人员不在本单位管控之下
traveller_not_ready = 人员 { $traveller_id } 当前状态为“{ $status ->
            [planned] 计划中
            [boarding] 登车中
            [in_transit] 在途
            [arrived] 已到达
            [closed] 已闭环
            [cancelled] 已撤销
            [pending] 待确认
            [confirmed] 已确认
            [rejected] 已拒收
            [awaiting_transfer] 待转运
            [assigned] 已编入批次
            [boarded] 已登车
            [at_district] 在区
            [received] 已接收
            [exception] 异常
            [available] 可用
            [needs_disinfection] 待消毒
           *[other] { $status }
    }”，不是“{ $ready ->
            [planned] 计划中
            [boarding] 登车中
            [in_transit] 在途
            [arrived] 已到达
            [closed] 已闭环
            [cancelled] 已撤销
            [pending] 待确认
            [confirmed] 已确认
            [rejected] 已拒收
            [awaiting_transfer] 待转运
            [assigned] 已编入批次
            [boarded] 已登车
            [at_district] 在区
            [received] 已接收
            [exception] 异常
            [available] 可用
            [needs_disinfection] 待消毒
           *[other] { $ready }
    }”
traveller_offered = 人员 { $traveller_id } 已在一项待确认的交接中
traveller_offered_pending = 该人员正在一项待确认的交接中，须先由接收方确认或拒收，或由移交方撤销或重发
traveller_other_city = 人员 { $traveller_id } 前往其他城市
traveller_other_port = 人员 { $traveller_id } 从其他口岸入境
unit_code_format = 须为 1 到 32 位大写字母、数字、“-”或“_”
unit_code_taken = 单位编码 { $code } 已被使用
unit_not_directly_below = 须为管控这些人员的单位的直属下级单位
unknown_column = 无法识别的列
unknown_user = 用户不存在
username_format = 须为 3 到 64 位小写字母、数字、“.”、“-”或“_”
username_taken = 用户名 { $username } 已被使用
vehicle_in_status = 车辆 { $plate } 当前状态为“{ $status ->
            [available] 可用
            [assigned] 已指派
            [in_transit] 在途
            [needs_disinfection] 待消毒
           *[other] { $status }
    }”
vehicle_on_trip = 车辆处于“{ $status ->
            [available] 可用
            [assigned] 已指派
            [in_transit] 在途
            [needs_disinfection] 待消毒
           *[other] { $status }
    }”状态，行程结束前不能修改座位数或停用状态
wrong_code = 交接码错误，锁定前还可尝试 { $tries_left } 次
wrong_code_now_locked = 交接码错误，交接已锁定，须由移交方撤销后重新交接
wrong_credentials = 用户名或密码错误
wrong_password = 当前密码不正确
xls_file = 这是 Excel 97-2003（.xls）文件，无法读取；请另存为 .xlsx 或 CSV
xlsx_too_large = XLSX 工作簿解压后超过 { $max_mib } MiB
xlsx_too_many_files = XLSX 工作簿包含的文件过多（超过 { $max_files } 个）
xlsx_too_much_text = 工作簿中的文字超过 { $max_mib } MiB
xlsx_unreadable = 无法读取 XLSX 工作簿：{ $reason }
zip_sent_as_csv = 这是 zip 文件（例如 XLSX 工作簿），却按 text/csv 上传；工作簿请按 { $content_type } 上传
time_needs_offset = 须为带时区偏移的日期和时间，例如 2020-03-07T09:30:00Z 或 2020-03-07T17:30:00+08:00
did_not_board = 未登上批次 { $batch_code }

## 字段名（只用于中文；英文照请求中的写法）

field-add = 加入人员
field-address = 住址
field-arrived_at = 抵达时间
field-at = 时间
field-boarded = 已登车人员
field-body = 文件
field-city_name = 城市名称
field-code = 编码
field-crew = 随车人员
field-current_password = 当前密码
field-destination_community_code = 目的社区
field-destination_community_id = 目的社区
field-display_name = 显示名称
field-document_no = 证件号码
field-document_type = 证件类型
field-exception = 异常类型
field-facility = 机构
field-flight_no = 航班号
field-format = 格式
field-from = 开始日期
field-full_name = 姓名
field-hotline = 热线电话
field-kind = 类型
field-language = 语言
field-level = 级别
field-limit = 每页数量
field-name = 名称
field-nationality = 国籍
field-new_password = 新密码
field-no_show = 未登车人员
field-note = 备注
field-notes = 备注
field-parent_id = 上级单位
field-password = 密码
field-phone = 电话
field-plate = 车牌号
field-port_code = 入境口岸
field-port_id = 入境口岸
field-q = 搜索
field-reason = 原因
field-received_traveller_ids = 已接收人员
field-remove = 移出人员
field-role = 角色
field-seats = 座位数
field-to = 结束日期
field-to_unit_id = 接收单位
field-traveller_ids = 人员
field-unit_id = 单位
field-username = 用户名
field-vehicle_id = 车辆

## 未闭环事项：问题与处置

loose_end_missing = { $to }确认交接时有 { $count } 人未到：请重新交接，或登记异常
loose_end_rejected = { $to }拒收了交接（{ $reason }）：请将这 { $count } 人重新交接（必要时改交正确的单位），或登记异常
loose_end_locked = 移交给{ $to }的交接因交接码错误次数过多已锁定：请重新签发新的交接码，或撤销交接；{ $to }联系电话 { $hotline }
loose_end_overdue = { $from }移交给{ $to }的交接已超时：请{ $to }尽快确认；{ $from }联系电话 { $hotline }
loose_end_waiting = 有 { $count } 人在{ $port }等待转运已超过 { $minutes } 分钟：请安排转运批次
no_hotline = 未登记联系电话
document_type_written = 须为证件类型：护照、身份证、港澳通行证、台胞证或其他（也可写 passport、id_card、travel_permit、other）
nationality_written = 须为国家或地区：ISO 代码（CHN、CN）或名称（中国、China）
name_matches_several = “{ $value }”对应多个：{ $codes }；请填写代码
xlsx_too_many_strings = 工作簿中的共享字符串超过 { $max_strings } 个，超出名单所需
