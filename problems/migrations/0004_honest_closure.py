"""Honest closure (problems/closure.py): a claim can be referred; rejections and referrals are events."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('problems', '0003_problem_message'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='claim',
            name='problems_claim_status_valid',
        ),
        migrations.RemoveConstraint(
            model_name='problemevent',
            name='problems_problemevent_kind_valid',
        ),
        migrations.AlterField(
            model_name='claim',
            name='status',
            field=models.CharField(choices=[('pending', '待确认'), ('accepted', '已确认'), ('declined', '未选中'), ('withdrawn', '已撤回'), ('referred', '已转交')], default='pending', max_length=10),
        ),
        migrations.AlterField(
            model_name='problemevent',
            name='kind',
            field=models.CharField(choices=[('posted', '发布'), ('claimed', '揭榜'), ('accepted', '确认揭榜人'), ('resolved', '解决'), ('closed', '评价办结'), ('withdrawn', '撤回'), ('escalated', '超时上报'), ('photo_added', '上传照片'), ('rejected', '验收未通过'), ('referred', '转交')], max_length=12),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'accepted', 'declined', 'withdrawn', 'referred'])), name='problems_claim_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='problemevent',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['posted', 'claimed', 'accepted', 'resolved', 'closed', 'withdrawn', 'escalated', 'photo_added', 'rejected', 'referred'])), name='problems_problemevent_kind_valid'),
        ),
    ]
